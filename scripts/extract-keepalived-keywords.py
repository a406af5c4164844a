import re, subprocess, sys
files = subprocess.run(['git','ls-tree','-r','--name-only','v2.2.7'],capture_output=True,text=True).stdout.split()
files = [f for f in files if f.endswith('.c')]
out = []
pat = re.compile(r'install_(keyword_root|keyword_quoted|keyword_conditional|keyword|sublevel_end|sublevel|root_end_handler|level_end_handler)\s*\(\s*("([^"]+)")?')
for f in sorted(files):
    src = subprocess.run(['git','show','v2.2.7:'+f],capture_output=True,text=True).stdout
    stack = []; last = None
    for line in src.split('\n'):
        s = line.strip()
        if s.startswith('//') or s.startswith('*') or s.startswith('/*'): continue
        for m in pat.finditer(line):
            kind, name = m.group(1), m.group(3)
            if kind == 'keyword_root' and name:
                stack = [name]; last = name; out.append((f, name, '')); 
            elif kind in ('keyword','keyword_quoted','keyword_conditional') and name:
                out.append((f, name, ' > '.join(stack))); last = name
            elif kind == 'sublevel':
                if last: stack.append(last)
            elif kind == 'sublevel_end':
                if stack: stack.pop()
# Checker keywords are installed by functions that run inside real_server's sublevel: put them there.
RS = 'virtual_server > real_server'
def fix(f, n, p):
    if not f.startswith('keepalived/check/check_') or f.endswith('check_parser.c'):
        return p
    if p == '' and (n.endswith('_CHECK')):
        return RS
    if p == '' and f.endswith('check_api.c'):
        return RS + ' > TCP_CHECK'
    if p == '' and f.endswith('check_http.c'):
        return RS + ' > HTTP_GET'
    if p == 'url':
        return RS + ' > HTTP_GET > url'
    if p.endswith('_CHECK') and ' > ' not in p:
        return RS + ' > ' + p
    return p
out = [(f, n, fix(f, n, p)) for f, n, p in out]
# installed through a variable (check_http.c install_http_check_keyword)
out += [('keepalived/check/check_http.c', 'HTTP_GET', RS), ('keepalived/check/check_http.c', 'SSL_GET', RS)]
seen = set()
print('# keepalived 2.2.7 keywords: source file, keyword, enclosing block path (empty: top level).')
print('# Extracted from install_keyword_root/install_keyword/install_sublevel calls in github.com/acassen/keepalived')
print('# at tag v2.2.7 (python3 scripts/extract-keepalived-keywords.py in a keepalived checkout). Read by scripts/keywords.ts (npm run keywords) and test/unit/config/corpus.ts.')
for f, n, p in out:
    k = (n, p)
    if k in seen: continue
    seen.add(k)
    print(f'{f}\t{n}\t{p}')
