#include "trace/trace-ubf_frontend.h"
