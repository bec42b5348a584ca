#!/bin/bash
# Peak memory of one merge (README, Merging). usage: measure.sh PLUGINMOE_DLL OUT, in the folder make_llama.py wrote  -> prints max RSS (time -v) and the peak of sampled RssAnon / RssFile (every 20 ms)
cd "${MERGE_MEMORY_DIR:-/tmp/merge-memory}"; rm -rf "$2"
/usr/bin/time -v dotnet "$1" merge --strategy btx --seed seed --experts e0,e1,e2,e3 --out "$2" > "$2.log" 2>&1 &
tpid=$!
sleep 0.5
pid=$(pgrep -P $tpid | head -1)
anon=0; file=0
while kill -0 $pid 2>/dev/null; do
  a=$(awk '/RssAnon/{print $2}' /proc/$pid/status 2>/dev/null); f=$(awk '/RssFile/{print $2}' /proc/$pid/status 2>/dev/null)
  [ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a; [ -n "$f" ] && [ "$f" -gt "$file" ] && file=$f
  sleep 0.02
done
wait $tpid
echo "$2: peak RssAnon ${anon} kB, peak RssFile ${file} kB; $(grep -E 'Maximum resident' $2.log | xargs); $(grep Elapsed $2.log | xargs)"
