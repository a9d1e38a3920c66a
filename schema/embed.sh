#!/bin/sh
# embed.sh: writes the C source that carries the migrations, so that the
# binary knows its own newest schema and needs no files at run time.
# Usage: embed.sh SRCDIR schema/NNN-name.sql ... > lib/schema_sql.c
set -eu
srcdir=$1
shift
printf '/* Generated from the files in schema/ by schema/embed.sh: do not edit. */\n'
printf '#include "schema_sql.h"\n\n'
printf 'const struct at_migration at_migrations[] = {\n'
last=0
count=0
for f in "$@"; do
    base=${f##*/}
    num=${base%%-*}
    name=${base#*-}
    name=${name%.sql}
    case $num in
    [0-9][0-9][0-9]) ;;
    *) echo "embed.sh: $f: name must be NNN-name.sql" >&2; exit 1 ;;
    esac
    ver=$(expr "$num" + 0)
    # Numbers rise; a gap is a migration of another line of work, which
    # takes its place when the two meet.
    if [ "$ver" -le "$last" ]; then
        echo "embed.sh: $f: expected a migration after $last" >&2
        exit 1
    fi
    last=$ver
    count=$((count + 1))
    printf '    {%d, "%s",\n' "$ver" "$name"
    # One C string literal per line; escape backslashes and quotes.
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/     "/' -e 's/$/\\n"/' "$srcdir/$f"
    printf '    },\n'
done
printf '};\n\nconst unsigned at_migration_count = %d;\n' "$count"
