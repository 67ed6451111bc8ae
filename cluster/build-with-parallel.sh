#!/bin/sh
# A class set built in parts by GNU parallel (Debian's `parallel`), over this machine's cores
# or, with parallel's own --sshlogin, over several hosts that share OUT (NFS, ...):
#
#   cluster/build-with-parallel.sh DEFINITION VERSIONS PART OUT [build options ...]
#
# runs cluster/build-part.sh for each part's index, as many at once as parallel's --jobs says
# (PARALLEL_JOBS, default: one a core, each build on one core: --jobs 1), stops every part at
# the first that fails, and then moves every part's files into OUT/set/. Each part's log is
# in OUT/logs/. For other hosts, set PARALLEL to parallel's options, for example
#   PARALLEL="--sshlogin 8/host1,8/host2 --workdir $PWD" cluster/build-with-parallel.sh ...
set -eu
if [ "$#" -lt 4 ]; then
    echo "usage: build-with-parallel.sh DEFINITION VERSIONS PART OUT [build options ...]" >&2
    exit 2
fi
definition=$1 versions=$2 part=$3 out=$4
shift 4
for n in "$versions" "$part"; do
    case $n in
        ''|*[!0-9]*) echo "build-with-parallel.sh: '$n' is not a whole number" >&2; exit 2 ;;
    esac
done
# decimal, whatever its leading zeros (the shell's arithmetic reads 010 as octal)
versions=${versions#"${versions%%[!0]*}"} part=${part#"${part%%[!0]*}"}
if [ -z "$part" ] || [ -z "$versions" ]; then
    echo "build-with-parallel.sh: a set of $versions versions in parts of $part builds nothing" >&2
    exit 2
fi
# an OUT named like an option (-out) is a folder, never an option of mkdir, find or build
case $out in
    -*) out=./$out ;;
esac
case $out in
    *'{'*) echo "build-with-parallel.sh: OUT '$out' holds '{', which GNU parallel reads as" \
                "a replacement string in the logs' names" >&2; exit 2 ;;
esac
for word in "$definition" "$out" "$@"; do
    case $word in
        :::|::::|:::+|::::+)
            echo "build-with-parallel.sh: '$word' is GNU parallel's separator of inputs, not an" \
                 "argument it can pass on" >&2
            exit 2 ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
# no number of more than 9 digits reaches the shell's 64-bit arithmetic, which wraps
if [ "${#versions}" -gt 9 ]; then
    echo "build-with-parallel.sh: a set of $versions versions is larger than build makes" >&2
    exit 2
fi
if [ "${#part}" -gt 9 ]; then
    parts=1
else
    parts=$(( (versions + part - 1) / part ))
fi
mkdir -p "$out/logs" "$out/set"
# Every argument reaches build-part.sh as one word and is never read as code: parallel gets
# each as an input of its own (after :::), which it quotes, whereas the words of a command are
# joined with spaces and run by a shell, with any {...} in them read as a replacement string
# ({= =} is Perl). The command holds no text of the user's, and --results names only input 2,
# the part's index.
count=$#
while [ "$count" -gt 0 ]; do
    word=$1
    shift
    set -- "$@" ::: "$word"
    count=$((count - 1))
done
parallel --jobs "${PARALLEL_JOBS:-100%}" --halt now,fail=1 \
    --joblog "$out/logs/joblog" --results "$out/logs/{2}" \
    -q sh -c 'exec "$0" "$@"' ::: "$here/build-part.sh" ::: $(seq 0 $((parts - 1))) \
    ::: "$definition" ::: "$versions" ::: "$part" ::: "$out" ::: --jobs ::: 1 "$@"
# one folder of the whole set, for printing, marking and importing
# (each part's folder by its name, never OUT as a pattern: an OUT holding [...], * or a
# backslash is a folder like any other)
index=0
while [ "$index" -lt "$parts" ]; do
    folder=$out/$(printf 'part-%05d' "$index")
    if [ -d "$folder" ]; then
        find "$folder" -type f -exec mv -f -t "$out/set" {} +
        find "$folder" -depth -type d -empty -delete
    fi
    index=$((index + 1))
done
