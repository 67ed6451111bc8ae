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
here=$(cd "$(dirname "$0")" && pwd)
parts=$(( (versions + part - 1) / part ))
mkdir -p "$out/logs" "$out/set"
seq 0 $((parts - 1)) | parallel --jobs "${PARALLEL_JOBS:-100%}" --halt now,fail=1 \
    --joblog "$out/logs/joblog" --results "$out/logs/{}" \
    "$here/build-part.sh" {} "$definition" "$versions" "$part" "$out" --jobs 1 "$@"
# one folder of the whole set, for printing, marking and importing
find "$out" -path "$out/part-*" -type f -exec mv -f -t "$out/set" {} +
find "$out" -maxdepth 1 -name 'part-*' -type d -empty -delete
