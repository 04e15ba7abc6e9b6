/**
 * What the private baseline costs on a 100,000-element list: `get()` after the kernel changed
 * one element (one copy per change, shared by every view), and a one-element change made in the
 * browser (diff against the baseline; the wire carries a patch of one operation).
 *
 * Run: `npx vitest bench --root frontend --run`. Prints the wire bytes first; nothing is asserted.
 */
import { bench, describe } from "vitest";
import { WidgetManager } from "../src/manager";
import type { WidgetModel } from "../src/model";
import { FakeKernel, update } from "./fakeKernel";

const SIZE = 100_000;

interface Setup {
  kernel: FakeKernel;
  manager: WidgetManager;
  model: WidgetModel;
  rev: number;
}

async function setup(items: unknown[]): Promise<Setup> {
  const kernel = new FakeKernel();
  const manager = new WidgetManager(kernel, { client: "bench" });
  kernel.open("m1", { items });
  return { kernel, manager, model: await manager.get_model("m1"), rev: 0 };
}

const numbers = Array.from({ length: SIZE }, (_, i) => i);
const rows = Array.from({ length: SIZE }, (_, i) => ({ id: i, label: `row ${i}` }));
const flat = await setup(numbers);
const nested = await setup(rows);

/** The kernel changes one element (a one-op patch, as the kernel sends it). */
function kernelChange(s: Setup, value: unknown): void {
  s.rev += 1;
  s.kernel.deliver("m1", update(s.rev, { patch: { items: [{ op: "replace", path: `/${s.rev % SIZE}`, value }] } }));
}

/** The view changes one element, saves, and the kernel acknowledges (echoing the change as a patch). */
function browserChange(s: Setup, value: unknown): number {
  const items = (s.model.get("items") as unknown[]).slice();
  const at = (s.rev * 7919) % SIZE;
  items[at] = value;
  s.model.set("items", items);
  s.model.save_changes();
  const sent = s.kernel.sent.pop();
  if (sent?.data.method !== "update") throw new Error("no update was sent");
  s.rev += 1;
  s.kernel.deliver("m1", update(s.rev, { patch: sent.data.patch, ack: { client: "bench", seq: sent.data.seq } }));
  return JSON.stringify(sent.data).length;
}

console.log(
  `wire bytes of a one-element browser change on ${SIZE.toLocaleString()} elements: ` +
    `numbers ${browserChange(flat, -1)} B, records ${browserChange(nested, { id: -1, label: "x" })} B ` +
    `(one operation each)`,
);

describe(`${SIZE.toLocaleString()} numbers`, () => {
  bench("kernel changes one element (no get)", () => kernelChange(flat, -2));
  bench("kernel changes one element, then get()", () => {
    kernelChange(flat, -3);
    flat.model.get("items");
  });
  bench("get() again (the shared copy)", () => {
    flat.model.get("items");
  });
  bench("browser changes one element: slice, set, save_changes (+ ack)", () => {
    browserChange(flat, -4);
  });
});

describe(`${SIZE.toLocaleString()} records {id, label}`, () => {
  bench("kernel changes one element (no get)", () => kernelChange(nested, { id: -2, label: "k" }));
  bench("kernel changes one element, then get()", () => {
    kernelChange(nested, { id: -3, label: "k" });
    nested.model.get("items");
  });
  bench("browser changes one element: slice, set, save_changes (+ ack)", () => {
    browserChange(nested, { id: -4, label: "b" });
  });
});
