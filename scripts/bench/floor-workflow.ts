/**
 * The engine floor: a workflow that does nothing but answer an Update. Its round trip is the least a
 * Temporal Update can cost on this server, the yardstick Parley's turn latency is judged against.
 */
import { condition, defineSignal, defineUpdate, setHandler } from '@temporalio/workflow';

export const pingUpdate = defineUpdate<string, [string]>('ping');
export const stopSignal = defineSignal('stop');

export async function floorWorkflow(): Promise<void> {
  let stopped = false;
  setHandler(pingUpdate, (text) => text);
  setHandler(stopSignal, () => {
    stopped = true;
  });
  await condition(() => stopped);
}
