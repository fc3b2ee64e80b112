#!/bin/sh
# The code's layers, as docs/design.rst states them (TAP):
#   1. the engine's state is its own: only resize-engine.c and the
#      engine's unit tests include resize-engine-priv.h (everything else
#      sees ResizeEngine and ResizeSlot as opaque, so the compiler
#      refuses any field access);
#   2. the frontend and the engine include nothing from backends/;
#   3. an adapter includes only the frontend's public headers
#      (balloon-backend.h, balloon-frontend.h, range-set(-vmstate).h);
#   4. the frontend's glue is a tree (balloon-frontend-internal.h): the
#      core, automatic sizing, settings, the object, migration, QMP; each
#      calls no function of a part after it.
#
# Usage: test-layering.sh SOURCE_ROOT
set -u
cd "$1" || exit 1

echo "1..4"

bad=$(grep -ln '#include "resize-engine-priv.h"' frontend/*.c frontend/*.h \
          backends/*.c backends/*.h monitor/*.c 2>/dev/null |
      grep -v '^frontend/resize-engine\(\.c\|-priv\.h\)$')
if [ -z "$bad" ]; then
    echo "ok 1 the engine's structures are private to resize-engine.c"
else
    echo "not ok 1 the engine's structures are private to resize-engine.c:" \
         "included by" $bad
fi

bad=$(grep -n '#include.*backends/' frontend/*.c frontend/*.h monitor/*.c)
if [ -z "$bad" ]; then
    echo "ok 2 frontend/ and monitor/ include nothing from backends/"
else
    echo "not ok 2 frontend/ and monitor/ include nothing from backends/:" \
         "$bad" | tr '\n' ' '
    echo
fi

public='balloon-backend\|balloon-frontend\|range-set\|range-set-vmstate'
own='hv-balloon-backend\|hv-balloon-dev\|virtio-balloon\|virtio-mem\|trace'
bad=$(grep -n '#include "\(ubf/\)\?\(frontend/\)\?[a-z-]*\.h"' \
          backends/*.c backends/*.h |
      grep -v "#include \"ubf/frontend/\\($public\\)\\.h\"" |
      grep -v "#include \"\\($own\\)\\.h\"")
if [ -z "$bad" ]; then
    echo "ok 3 an adapter includes only the frontend's public headers"
else
    echo "not ok 3 an adapter includes only the frontend's public headers:" \
         "$bad" | tr '\n' ' '
    echo
fi

# The parts in order, each with its function prefixes: none may call a
# function of a part after it.
parts="balloon-frontend:balloon_frontend_
frontend-auto:frontend_auto_
frontend-settings:frontend_settings_
frontend-object:frontend_object_ balloon_frontend_object_
frontend-migration:frontend_migration_
frontend-qmp:qmp_"
bad=$(i=0
      echo "$parts" | while IFS=: read -r part prefixes; do
          i=$((i + 1))
          # calls of a function of a later part: "\bPREFIX...(" patterns
          later=$(echo "$parts" | tail -n +$((i + 1)) | cut -d: -f2 |
                  tr ' ' '\n' | grep . | sed 's/^/\\b/; s/$/[a-z_]*(/')
          [ -n "$later" ] || continue
          calls=$(printf "%s\n" "$later" | grep -o -f - "frontend/$part.c" |
                  sort -u | tr '\n' ' ')
          [ -z "$calls" ] || echo "$part.c calls $calls;"
      done | tr '\n' ' ')
if [ -z "$bad" ]; then
    echo "ok 4 the frontend's parts call only the parts before them"
else
    echo "not ok 4 the frontend's parts call only the parts before them:$bad"
fi
