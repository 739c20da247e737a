#!/bin/sh
# Runs every Fuzz target of the given packages for FUZZTIME each (go test -fuzz takes one target
# per run). A finding is a failing input written to the package's testdata/fuzz/<target>/: it
# fails the run, and replays in every later `go test` as a regression test.
#
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline exceeded" at the
# end of a duration-bound run, writing no input (golang/go#75804, fixed in Go 1.27). Such a run
# is reported, its target's corpus is replayed without fuzzing, and only a failure there counts.
set -u
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}
FUZZFLAGS=${FUZZFLAGS:-}
status=0
for pkg in "$@"; do
	for target in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
		echo "== $pkg $target ($FUZZTIME)"
		corpus="$pkg/testdata/fuzz/$target"
		before=$(ls "$corpus" 2>/dev/null | wc -l)
		out=$($GO test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" $FUZZFLAGS "$pkg" 2>&1)
		rc=$?
		printf '%s\n' "$out" | grep -v '^fuzz: elapsed' || true
		printf '%s\n' "$out" | grep '^fuzz: elapsed' | tail -1
		after=$(ls "$corpus" 2>/dev/null | wc -l)
		if [ $rc -ne 0 ] && [ "$after" -eq "$before" ] && printf '%s\n' "$out" | grep -q 'context deadline exceeded'; then
			echo "   Go's fuzz coordinator deadline race (golang/go#75804), no input written; replaying the corpus"
			$GO test -count=1 -run "^$target\$" "$pkg" || status=1
			continue
		fi
		[ $rc -eq 0 ] || status=1
	done
done
exit $status
