import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseFacility, parseUmask, defaultOptions } from '../../../src/cli/args.js';
import { DAEMON_CHILD_FLAG } from '../../../src/daemon/child-role.js';

test('no arguments gives keepalived defaults', () => {
  const r = parseArgs([]);
  assert.deepEqual(r.options, defaultOptions());
  assert.equal(r.options.logFacility, 3);
  assert.deepEqual([r.errors, r.warnings, r.unexpected, r.immediate], [[], [], [], undefined]);
});

test('required argument: -fFILE, -f FILE, --use-file=FILE, --use-file FILE', () => {
  for (const argv of [['-fa.conf'], ['-f', 'a.conf'], ['--use-file=a.conf'], ['--use-file', 'a.conf']]) {
    const r = parseArgs(argv);
    assert.equal(r.options.useFile, 'a.conf', argv.join(' '));
    assert.deepEqual(r.errors, []);
  }
});

test('a required argument takes the next word even when it looks like an option (getopt)', () => {
  const r = parseArgs(['-p', '-v']);
  assert.equal(r.options.pidFile, '-v');
  assert.equal(r.immediate, undefined);
});

test('bundled short flags -nlD and a bundle ending in an argument', () => {
  const r = parseArgs(['-nlDP']);
  assert.equal(r.options.dontFork, true);
  assert.equal(r.options.logConsole, true);
  assert.equal(r.options.logDetail, 1);
  assert.equal(r.options.vrrpOnly, true);
  const r2 = parseArgs(['-nf/etc/x.conf']);
  assert.equal(r2.options.dontFork, true);
  assert.equal(r2.options.useFile, '/etc/x.conf');
  const r3 = parseArgs(['-nDDf', 'y.conf']);
  assert.equal(r3.options.logDetail, 2);
  assert.equal(r3.options.useFile, 'y.conf');
});

test('every flag sets its field', () => {
  const r = parseArgs([
    '-P',
    '-C',
    '-B',
    '--all',
    '-n',
    '-l',
    '-D',
    '-S',
    'local3',
    '-gfile.log',
    '--flush-log-file',
    '-G',
    '-u',
    '022',
    '-X',
    '-V',
    '-I',
    '-R',
    '-d',
    '-p',
    'm.pid',
    '-r',
    'v.pid',
    '-c',
    'c.pid',
    '-b',
    'b.pid',
    '-a',
    '-s',
    'ns1',
    '-e',
    '-i',
    'node1',
    '-x',
    '-A',
    '/agentx',
    '-m',
    '--dump-config',
    '--control-socket=/run/x.sock',
  ]);
  assert.deepEqual(r.errors, []);
  const o = r.options;
  assert.deepEqual(
    [o.vrrpOnly, o.checkOnly, o.noBfd, o.all, o.dontFork, o.logConsole, o.logDetail, o.logFacility, o.logFile, o.flushLogFile],
    [true, true, true, true, true, true, 1, 19, 'file.log', true],
  );
  assert.deepEqual(
    [o.noSyslog, o.umask, o.releaseVips, o.dontReleaseVrrp, o.dontReleaseIpvs, o.dontRespawn, o.dumpConf],
    [true, 0o22, true, true, true, true, true],
  );
  assert.deepEqual(
    [o.pidFile, o.vrrpPidFile, o.checkersPidFile, o.bfdPidFile, o.addressMonitoring, o.namespace, o.allConfig, o.configId],
    ['m.pid', 'v.pid', 'c.pid', 'b.pid', true, 'ns1', true, 'node1'],
  );
  assert.deepEqual([o.snmp, o.snmpAgentSocket, o.coreDump, o.dumpConfig, o.controlSocket], [true, '/agentx', true, true, '/run/x.sock']);
});

test('long forms of every keepalived option', () => {
  const r = parseArgs([
    '--vrrp',
    '--check',
    '--no_bfd',
    '--dont-fork',
    '--log-console',
    '--log-detail',
    '--log-facility=user',
    '--no-syslog',
    '--umask=0x12',
    '--release-vips',
    '--dont-release-vrrp',
    '--dont-release-ipvs',
    '--dont-respawn',
    '--dump-conf',
    '--pid=a',
    '--vrrp_pid=b',
    '--checkers_pid=c',
    '--bfd_pid=d',
    '--address-monitoring',
    '--namespace=n',
    '--all-config',
    '--config-id=z',
    '--snmp',
    '--snmp-agent-socket=s',
    '--core-dump',
  ]);
  assert.deepEqual(r.errors, []);
  const o = r.options;
  assert.equal(o.logFacility, 1);
  assert.equal(o.umask, 0x12);
  assert.deepEqual([o.pidFile, o.vrrpPidFile, o.checkersPidFile, o.bfdPidFile, o.namespace, o.configId], ['a', 'b', 'c', 'd', 'n', 'z']);
  assert.equal(o.coreDump, true);
});

test('optional arguments only take attached or = values', () => {
  assert.equal(parseArgs(['-g']).options.logFile, 'keepalived.log');
  assert.equal(parseArgs(['-gmy.log']).options.logFile, 'my.log');
  assert.equal(parseArgs(['--log-file=my.log']).options.logFile, 'my.log');
  const r = parseArgs(['-g', 'my.log']);
  assert.equal(r.options.logFile, 'keepalived.log');
  assert.deepEqual(r.unexpected, ['my.log']);
  const t = parseArgs(['-t']);
  assert.equal(t.options.configTest, true);
  assert.equal(t.options.configTestLogFile, undefined);
  assert.equal(t.options.dontFork, true);
  assert.equal(t.options.noSyslog, true);
  assert.equal(parseArgs(['--config-test=/tmp/ct.log']).options.configTestLogFile, '/tmp/ct.log');
  assert.equal(parseArgs(['-t/tmp/ct.log']).options.configTestLogFile, '/tmp/ct.log');
  assert.deepEqual(parseArgs(['--config-test', 'x']).unexpected, ['x']);
  assert.equal(parseArgs(['-M']).options.coreDumpPattern, 'core');
  assert.equal(parseArgs(['-M']).options.coreDump, true);
  assert.equal(parseArgs(['--core-dump-pattern=/c/%p']).options.coreDumpPattern, '/c/%p');
});

test('long options may be abbreviated to a unique prefix; ambiguous prefixes are unknown', () => {
  assert.deepEqual(parseArgs(['--vers']).immediate, { kind: 'version' });
  assert.equal(parseArgs(['--dont-f']).options.dontFork, true);
  assert.equal(parseArgs(['--use=x']).options.useFile, 'x');
  assert.deepEqual(parseArgs(['--dont']).errors, ['Unknown option --dont']);
  // exact match wins over longer names sharing the prefix
  assert.equal(parseArgs(['--all']).options.all, true);
  assert.deepEqual(parseArgs(['--all']).errors, []);
});

test('unknown options and missing parameters use keepalived wording', () => {
  assert.deepEqual(parseArgs(['--bogus']).errors, ['Unknown option --bogus']);
  assert.deepEqual(parseArgs(['-Z']).errors, ['Unknown option -Z']);
  assert.deepEqual(parseArgs(['-Xq']).errors, ['Unknown option -q']);
  assert.equal(parseArgs(['-Xq']).options.releaseVips, true);
  assert.deepEqual(parseArgs(['-f']).errors, ['Missing parameter for option -f']);
  assert.deepEqual(parseArgs(['--use-file']).errors, ['Missing parameter for option --use-file']);
  assert.deepEqual(parseArgs(['--use-file=']).errors, ['Missing parameter for option --use-file']);
  assert.deepEqual(parseArgs(['--log-detail=x']).errors, ['Unknown option --log-detail=x']);
  assert.deepEqual(parseArgs(['--signum']).errors, ['Missing parameter for option --signum']);
  assert.deepEqual(parseArgs(['-i']).errors, ['Missing parameter for option -i']);
});

test('invalid -S and -u values are warnings, as keepalived (it carries on)', () => {
  for (const bad of ['9', 'local9', 'foo', 'LOCAL1']) {
    const r = parseArgs(['-S', bad]);
    assert.deepEqual(r.warnings, [`Invalid log facility '${bad}'`]);
    assert.deepEqual(r.errors, []);
    assert.equal(r.options.logFacility, 3);
  }
  assert.deepEqual(parseArgs(['-u', 'abc']).warnings, ['Invalid --umask option abc']);
  assert.deepEqual(parseArgs(['-u', '01000']).warnings, ['Invalid --umask option 01000']);
});

test('facility and umask value parsing', () => {
  assert.equal(parseFacility('0'), 16);
  assert.equal(parseFacility('7'), 23);
  assert.equal(parseFacility('local0'), 16);
  assert.equal(parseFacility('local7'), 23);
  assert.equal(parseFacility('daemon'), 3);
  assert.equal(parseFacility('user'), 1);
  assert.equal(parseFacility('8'), undefined);
  assert.equal(parseUmask('077'), 0o77);
  assert.equal(parseUmask('0'), 0);
  assert.equal(parseUmask('18'), 18);
  assert.equal(parseUmask('0x1ff'), 0o777);
  assert.equal(parseUmask('0778'), undefined);
  assert.equal(parseUmask('-1'), undefined);
});

test('-v, -h and --signum stop parsing where they stand', () => {
  const r = parseArgs(['--bogus', '-v', '--also-bogus']);
  assert.deepEqual(r.immediate, { kind: 'version' });
  assert.deepEqual(r.errors, ['Unknown option --bogus']);
  assert.deepEqual(parseArgs(['-nh']).immediate, { kind: 'help' });
  assert.deepEqual(parseArgs(['--help']).immediate, { kind: 'help' });
  assert.deepEqual(parseArgs(['--signum=JSON']).immediate, { kind: 'signum', sigfunc: 'JSON' });
  assert.deepEqual(parseArgs(['--signum', 'STOP']).immediate, { kind: 'signum', sigfunc: 'STOP' });
  assert.deepEqual(parseArgs(['-t', '-v']).immediate, { kind: 'version' });
});

test('non-option words are permuted out and reported; -- ends options', () => {
  const r = parseArgs(['x', '-n', 'y']);
  assert.equal(r.options.dontFork, true);
  assert.deepEqual(r.unexpected, ['x', 'y']);
  const r2 = parseArgs(['--', '-v']);
  assert.equal(r2.immediate, undefined);
  assert.deepEqual(r2.unexpected, ['-v']);
  assert.deepEqual(parseArgs(['-']).unexpected, ['-']);
});

test('keepalived-ts options: --status, and the internal daemon-child flag', () => {
  assert.equal(parseArgs(['--status']).options.status, 'status');
  assert.equal(parseArgs(['--status=json']).options.status, 'json');
  assert.equal(parseArgs([DAEMON_CHILD_FLAG]).options.daemonChild, true);
  assert.equal(parseArgs(['--ts-child=vrrp']).options.childRole, 'vrrp');
  assert.equal(parseArgs(['--ts-child', 'check']).options.childRole, 'check');
  assert.equal(parseArgs(['--ts-child=bfd']).options.childRole, 'bfd');
  assert.deepEqual(parseArgs(['--ts-child=ospf']).errors, ['Unknown option --ts-child=ospf']);
  // the internal flags are never reached by abbreviation
  assert.deepEqual(parseArgs(['--ts-d']).errors, ['Unknown option --ts-d']);
  assert.deepEqual(parseArgs(['--ts-c=vrrp']).errors, ['Unknown option --ts-c=vrrp']);
  assert.deepEqual(parseArgs(['--ts']).errors, ['Unknown option --ts']);
  assert.deepEqual(parseArgs(['-T']).errors, ['genhash mode is not supported by keepalived-ts']);
});
