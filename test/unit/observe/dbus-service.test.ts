import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/core/log.js';
import { publish } from '../../../src/core/events.js';
import { VrrpDbusService } from '../../../src/observe/dbus/service.js';

test("no bus to be had: the name is lost (keepalived's text), nothing throws, reload and close are harmless", async () => {
  const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:path=/nonexistent/kts-dbus-test/bus.sock';
  try {
    const log = new MemoryLogger();
    const calls: string[] = [];
    const svc = new VrrpDbusService(
      {},
      {
        log,
        instances: () => [{ name: 'VI_1', vrid: 51, family: 4, ifname: 'eth0', state: 2 }],
        printData: () => calls.push('data'),
        printStats: () => calls.push('stats'),
        reload: () => calls.push('reload'),
        sendGarp: () => calls.push('garp'),
      },
    );
    await svc.start();
    assert.ok(log.texts().includes('Lost the name org.keepalived.Vrrp1 on the session bus'), log.texts().join('\n'));
    // a notify with no bus: dropped, as keepalived drops signals without a connection
    publish('keepalived-ts:vrrp:notify', { instance: 'VI_1', vrid: 51, family: 4, interface: 'eth0', state: 'MASTER', at: 0 });
    svc.reload();
    await svc.close();
    assert.deepEqual(calls, []);
    assert.ok(log.texts().includes('Released DBus'));
  } finally {
    if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
  }
});
