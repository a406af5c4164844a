import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReloadQueue } from '../../../src/daemon/reload-queue.js';

test('a reload asked for during a reload runs once after it; the caller sees the last result', async () => {
  const order: string[] = [];
  let n = 0;
  let release: (() => void) | undefined;
  const q = new ReloadQueue(
    async () => {
      const me = ++n;
      order.push(`start ${me}`);
      if (me === 1)
        await new Promise<void>((r) => {
          release = r;
        });
      order.push(`end ${me}`);
      return me !== 1; // the first fails, the queued one succeeds
    },
    () => true,
  );
  const first = q.request();
  let queuedCalls = 0;
  const second = q.request(() => {
    queuedCalls++;
  });
  const third = q.request(() => {
    queuedCalls++;
  });
  assert.equal(queuedCalls, 2);
  release!();
  assert.equal(await first, true, 'the first caller waits for the queued reload it led to');
  assert.equal(await second, false, 'a queued caller gets the result of the reload in progress when it asked');
  assert.equal(await third, false);
  assert.deepEqual(order, ['start 1', 'end 1', 'start 2', 'end 2'], 'two queued requests make one more reload, not two');
  assert.equal(q.current, undefined);
});

test('a queued reload does not start once the process is stopping', async () => {
  let n = 0;
  let running = true;
  let release: (() => void) | undefined;
  const q = new ReloadQueue(
    async () => {
      n++;
      if (n === 1)
        await new Promise<void>((r) => {
          release = r;
        });
      return true;
    },
    () => running,
  );
  const first = q.request();
  void q.request();
  running = false;
  release!();
  await first;
  assert.equal(n, 1);
});
