#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds from tests/fixtures (the corpora
# are not committed; libFuzzer adds what it finds to the same folders).
#   bash fuzz/seed.sh
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../tests/fixtures

# Copies files into the corpus folder named by their content hash, as
# libFuzzer does, so re-running adds nothing twice. Of a file over 64 KiB
# only its first 64 KiB are used: big seeds slow every execution down, and
# a document cut short is a good seed too.
seed() {
    local target=$1
    shift
    mkdir -p "corpus/$target"
    for file in "$@"; do
        [ -f "$file" ] || continue
        head -c 65536 "$file" > "corpus/$target/.new"
        mv "corpus/$target/.new" "corpus/$target/$(sha1sum < "corpus/$target/.new" | cut -c1-40)"
    done
}

seed feed_normalize \
    $(find "$fixtures/real" "$fixtures/written" -type f \
        \( -name '*.xml' -o -name '*.atom' -o -name '*.rss' -o -name '*.json' \))
seed ical $(find "$fixtures" -type f -name '*.ics')
# The sched.com schedule is 700 KiB: also whole calendars of three of its
# sessions each, from across the file.
big_ics=$fixtures/real/ics/kubecon-eu-2026-sched-all.ics
if [ -f "$big_ics" ]; then
    mkdir -p corpus/.split
    awk -v out=corpus/.split '
        !started && /^BEGIN:VEVENT/ { started = 1 }
        !started { header = header $0 "\n"; next }
        /^BEGIN:VEVENT/ { n++; if (n % 3 == 1) { file = out "/" int(n / 3); printf "%s", header > file } }
        { print >> file }
        /^END:VEVENT/ && n % 3 == 0 { print "END:VCALENDAR" >> file; close(file) }
    ' "$big_ics"
    seed ical $(find corpus/.split -type f | sort -n | awk 'NR % 10 == 1' | head -n 20)
    rm -r corpus/.split
fi
seed html_selectors $(find "$fixtures" -type f -name '*.html')

# Titles and summaries as the escaper sees them: the <title>s and ical
# SUMMARYs of the fixtures, one per file, and the escaper's own nasty cases.
mkdir -p corpus/draft_escape
{
    grep -rhoE '<title[^>]*>[^<]{1,300}</title>' "$fixtures" | sed -E 's/<\/?title[^>]*>//g'
    grep -rhE '^(SUMMARY|DESCRIPTION)[;:]' "$fixtures" | cut -d: -f2- | cut -c1-300
    cat <<'NASTY'
[x](javascript:alert(1))
<script>alert(1)</script>
# Heading
---
`code` and ``more``
a](https://evil.example.org)
![img](https://evil.example.org/x.png)
<!-- newsdesk:item 1 -->
:::message alert
$\int x$
| a | b |
1. first
2022) year
- item
> quote
trailing backslash \
*emph* _emph_ ~~strike~~
&lt;b&gt;entities&lt;/b&gt; &amp; &#60; &copy;
Kubernetes v1.35 の新機能【まとめ】
NASTY
} | head -n 2000 | while IFS= read -r line; do
    printf '%s' "$line" > "corpus/draft_escape/$(printf '%s' "$line" | sha1sum | cut -c1-40)"
done

for target in feed_normalize ical html_selectors draft_escape; do
    echo "corpus/$target: $(find "corpus/$target" -type f | wc -l) files"
done
