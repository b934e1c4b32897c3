#!/bin/bash
# How the expected values in test/store/*.test.ts were captured: against the real
# etcd 3.4.23 (Debian etcd-server, go1.19.8), single fresh member with --enable-v2 on
# 127.0.0.3:12379, run in this order (p1..p5) with curl 7.88. Not run by npm test.
# Watch probes (w) hold a curl open for a few seconds; their bodies are the "sN"/"eN" outputs.

# usage: r METHOD PATHQUERY [curl data args...]
E=http://127.0.0.3:12379
r() { local m=$1 p=$2; shift 2; echo "### $m $p $*"; curl -s -X "$m" -w ' [%{http_code}] X-Etcd-Index=%header{x-etcd-index}\n' "$E/v2/keys$p" "$@"; }

# ---- p1
r PUT /a -d value=1
r PUT /a -d value=2
r GET /a
r PUT /d/x/y -d value=v
r GET '/d?recursive=true&sorted=true'
r GET /d
r PUT /d/_h -d value=hidden
r GET '/d?recursive=true&sorted=true'
r GET /d/_h
r PUT /d/x -d value=v
r PUT /d/x/y/z -d value=v
r GET /d/x/y/z
r GET /nope/deeper
r PUT / -d value=x
r DELETE /
r DELETE '/?prevValue=x'
r DELETE '/?prevIndex=3'
r PUT '/?prevValue=x' -d value=y
r PUT '/?prevExist=true' -d value=
r PUT '/?prevExist=false' -d value=
r PUT '/?dir=true'
r GET '/?sorted=true'
r PUT '/a?prevValue=x' -d value=3
r PUT '/a?prevIndex=1' -d value=3
r PUT '/a?prevIndex=1&prevValue=x' -d value=3
r PUT '/a?prevIndex=5&prevValue=2' -d value=3
r PUT '/d?prevValue=x' -d value=3
r PUT '/missing?prevValue=x' -d value=3
r PUT '/a?prevExist=false' -d value=3
r PUT '/missing?prevExist=true' -d value=3
r PUT '/d?prevExist=true' -d value=x
r PUT '/d?prevExist=true&dir=true' -d value= -d ttl=100
r GET /d
r PUT '/d?dir=true'
r PUT '/d?prevExist=false&dir=true'
r PUT '/newdir?dir=true' -d value=ignored
r PUT '/t' -d value=v -d ttl=100
r PUT '/t?prevExist=true' -d value=v2 -d ttl=
r GET /t
r PUT '/t0' -d value=v -d ttl=0
r PUT '/t?refresh=true&prevExist=true' -d ttl=50
r PUT '/t?refresh=true' -d ttl=50
r PUT '/t?refresh=true' -d ttl=50 -d value=x
r PUT '/t?refresh=true'
r PUT '/nothere?refresh=true' -d ttl=5
r PUT '/nv?noValueOnSuccess=true' -d value=1
r PUT '/nv?noValueOnSuccess=true&prevExist=false' -d value=1
r PUT '/nv2?noValueOnSuccess=true&prevExist=false' -d value=1
r DELETE '/nv2?noValueOnSuccess=true'
r GET '/nv?noValueOnSuccess=true'
r POST '/q' -d value=j1
r POST '/q?dir=true'
r GET '/q?sorted=true'
r POST '/a' -d value=z
r DELETE /d
r DELETE '/d?dir=true'
r DELETE '/d?recursive=true'
r PUT '/f' -d value=ff
r DELETE '/f?dir=true'
r PUT '/c' -d value=cv
r DELETE '/c?prevValue=x'
r DELETE '/c?prevIndex=1'
r DELETE '/c?prevIndex=1&prevValue=x'
r DELETE '/q?prevValue=x'
r DELETE '/missing?prevValue=x'
r DELETE '/c?prevValue=cv'

# ---- p2
r PUT /esc --data-urlencode $'value=<a>&b "q" \\ \x01\x08\x0c\t\n\r\x1f\x7f é € 😀 \u2028\u2029 \ufffd'
r PUT '/u/%EF%BD%A1' -d value=1
r PUT '/u/%F0%9F%98%80' -d value=2
r PUT '/u/Z' -d value=3
r PUT '/u/a%20b' -d value=4
r GET '/u?sorted=true'
r PUT '/bad' --data-binary $'value=\xff\xfeok'
r GET '/bad'
r PUT '/emptyv' -d value=
r GET '/emptyv'
r GET '/u/../a'
r PUT '/ed/' -d value=x
r GET '/ed'

# ---- p3
w() { local f=$1 p=$2; curl -s -N --max-time 4 -D $f.h "$E/v2/keys$p" > $f.b & }
r PUT /wk -d value=1
w s1 '/wk?wait=true&stream=true'
w s2 '/wk?wait=true'
w s3 '/wdir/sub/k?wait=true&stream=true'
w s4 '/wdir?wait=true&recursive=true&stream=true'
w s5 '/hd?wait=true&recursive=true&stream=true'
w s6 '/hd/_sec?wait=true&stream=true'
w s7 '/wdir?wait=true&stream=true'
w s8 '/?wait=true&recursive=true&stream=true'
sleep 0.5
r PUT /wdir/sub/k -d value=a
r PUT /hd/_sec -d value=s
r PUT /hd/_sec/x -d value=s2 
r PUT /hd/pub -d value=p
r PUT /_top -d value=t
r PUT '/wk?refresh=true&prevExist=true' -d ttl=100
r DELETE /wk
r DELETE '/wdir?recursive=true'
sleep 4
for f in s1 s2 s3 s4 s5 s6 s7 s8; do echo "=== $f"; grep -i x-etcd-index $f.h; cat $f.b; done

# ---- p4
r GET '/hd?wait=true&recursive=true&waitIndex=36'
r GET '/wk?wait=true&waitIndex=40'
r GET '/wdir/sub/k?wait=true&waitIndex=37'
r GET '/wdirX?wait=true&waitIndex=42'
r GET '/wdir?wait=true&waitIndex=36'
r GET '/?wait=true&recursive=true&waitIndex=39'

r GET '/_top?wait=true&waitIndex=1'

# ---- p5
w() { local f=$1 p=$2; curl -s -N --max-time 5 -D $f.h "$E/v2/keys$p" > $f.b & }
r PUT '/td?dir=true' -d ttl=2
r PUT /td/c -d value=x
w e1 '/td/c?wait=true&stream=true'
w e2 '/td?wait=true&recursive=true'
w e3 '/td/c/deeper?wait=true'
sleep 5.5
for f in e1 e2 e3; do echo "=== $f"; grep -i x-etcd-index $f.h; cat $f.b; done

# ---- history window: 1100 writes after p5 (index 46), then waitIndex 8 / 146 / 147 on /hist/k1
for i in $(seq 1 1100); do curl -s -o /dev/null -X PUT "$E/v2/keys/hist/k$((i%7))" -d value=$i; done
