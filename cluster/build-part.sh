#!/bin/sh
# One part of a class set, by its index: versions INDEX*PART+1 to INDEX*PART+PART (the last part
# to the set's end), built into OUT/part-NNNNN/ with the bytes one build of the whole set gives
# them. GNU parallel, a Slurm array job and a Kubernetes indexed Job all run this, one index a
# task, so that their parts never share a folder (a build locks its folder) and never clash.
#
# usage: build-part.sh INDEX DEFINITION VERSIONS PART OUT [build options ...]
#   INDEX       0, 1, 2, ...: the task's index
#   DEFINITION  the set's definition (its versions: N is the set's size, VERSIONS)
#   VERSIONS    the set's size, as the definition says
#   PART        versions a part
#   OUT         the shared folder; this part goes into OUT/part-NNNNN/
# Any further options go to symbackprop build (--format html, --format moodle, --jobs 2, ...).
# SYMBACKPROP names the command (default: symbackprop on the PATH).
set -eu
if [ "$#" -lt 5 ]; then
    echo "usage: build-part.sh INDEX DEFINITION VERSIONS PART OUT [build options ...]" >&2
    exit 2
fi
index=$1 definition=$2 versions=$3 part=$4 out=$5
shift 5
for n in "$index" "$versions" "$part"; do
    case $n in
        ''|*[!0-9]*) echo "build-part.sh: '$n' is not a whole number" >&2; exit 2 ;;
    esac
done
# decimal, whatever its leading zeros (the shell's arithmetic reads 010 as octal, 08 not at all)
index=${index#"${index%%[!0]*}"} versions=${versions#"${versions%%[!0]*}"}
part=${part#"${part%%[!0]*}"}
index=${index:-0} versions=${versions:-0} part=${part:-0}
# a definition or an OUT named like an option (-h, --help, -out) is a file or a folder, never
# an option of build
case $definition in
    -*) definition=./$definition ;;
esac
case $out in
    -*) out=./$out ;;
esac
# The shell's arithmetic is 64 bits and wraps (index 4611686018427387904 of parts of 4 would
# start at version 1), so no number of more than 9 digits reaches it: a set of more versions is
# past what build makes, a part larger than the set is the whole set, and a part of so large an
# index starts past the set's end.
if [ "${#versions}" -gt 9 ]; then
    echo "build-part.sh: a set of $versions versions is larger than build makes" >&2
    exit 2
fi
if [ "$part" = 0 ]; then
    echo "build-part.sh: parts of 0 versions build nothing" >&2
    exit 2
fi
size=$part
if [ "${#part}" -gt 9 ]; then
    size=$((versions + 1))
fi
if [ "${#index}" -gt 9 ] || { [ "$size" != "$part" ] && [ "$index" != 0 ]; }; then
    echo "build-part.sh: part $index of $part versions starts past the set's $versions" >&2
    exit 2
fi
first=$((index * size + 1))
if [ "$first" -gt "$versions" ]; then
    echo "build-part.sh: part $index of $part versions starts at version $first, past the" \
         "set's $versions" >&2
    exit 2
fi
count=$((versions - first + 1))
if [ "$count" -gt "$size" ]; then
    count=$size
fi
exec "${SYMBACKPROP:-symbackprop}" build "$definition" --first-version "$first" \
    --versions "$count" --out "$out/$(printf 'part-%05d' "$index")" "$@"
