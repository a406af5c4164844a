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
seen = set()
print('# keepalived 2.2.7 keywords: source file, keyword, enclosing block path (empty: top level).')
print('# Extracted from install_keyword_root/install_keyword/install_sublevel calls in github.com/acassen/keepalived')
print('# at tag v2.2.7 (python3 scripts/extract-keepalived-keywords.py in a keepalived checkout). Read by scripts/keywords.mjs.')
for f, n, p in out:
    k = (n, p)
    if k in seen: continue
    seen.add(k)
    print(f'{f}\t{n}\t{p}')
