#include "trace/trace-ubf_backends.h"
