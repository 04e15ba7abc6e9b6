/**
 * Golden message exchanges, recorded on the Python side (the testing kit's `Frontend` against real
 * `Model`s) in tests/protocol_cases/exchange_cases.json, replayed here against the real runtime:
 * the runtime must send exactly what the kit sent and show what the kit showed, so the kit obeys
 * the browser's rules. (EXCHANGE_CASES=<path> replays another file.)
 */
import { describe, expect, it } from "vitest";
import { WidgetManager } from "../src/manager";
import { env, readRepoFile } from "./files";
import { FakeKernel, type Sent } from "./fakeKernel";

type Kind = "comm_open" | "comm_msg" | "comm_close";

interface Wire {
  kind: Kind;
  comm_id: string;
  data: Record<string, unknown>;
}

type Step =
  | { receive: Wire }
  | { set: { comm_id: string; values: Record<string, unknown> } }
  | { sent: Wire[] }
  | { shows: Record<string, Record<string, unknown>> };

interface ExchangeCase {
  name: string;
  client: string;
  steps: Step[];
}

const RELATIVE = "tests/protocol_cases/exchange_cases.json";
const override = env("EXCHANGE_CASES");
let text: string | null = null;
if (override) {
  const fs = (await import(/* @vite-ignore */ "node:fs" as string)) as { readFileSync(path: string, encoding: "utf8"): string };
  text = fs.readFileSync(override, "utf8");
} else {
  text = readRepoFile(RELATIVE);
}
const cases: ExchangeCase[] = text === null ? [] : (JSON.parse(text) as ExchangeCase[]);

const KINDS: Record<Sent["kind"], Kind> = { open: "comm_open", msg: "comm_msg", close: "comm_close" };

function replay(c: ExchangeCase): void {
  const kernel = new FakeKernel();
  const manager = new WidgetManager(kernel, { client: c.client });
  let seen = 0;
  c.steps.forEach((step, i) => {
    const where = `${c.name}, step ${i}`;
    if ("receive" in step) {
      const { kind, comm_id: commId, data } = step.receive;
      if (kind === "comm_open") kernel.openRaw(commId, JSON.stringify(data));
      else if (kind === "comm_msg") kernel.deliverRaw(commId, JSON.stringify(data));
      else if (kind === "comm_close") kernel.closeFromKernel(commId);
      else throw new Error(`${where}: unknown message kind ${JSON.stringify(kind)}`);
    } else if ("set" in step) {
      const model = manager.lookup(step.set.comm_id);
      if (!model) throw new Error(`${where}: the runtime has no model ${step.set.comm_id}`);
      model.set(step.set.values);
      model.save_changes();
    } else if ("sent" in step) {
      const sent = kernel.sent.slice(seen).map((s) => ({ kind: KINDS[s.kind], comm_id: s.commId, data: s.data }));
      seen = kernel.sent.length;
      expect(sent, `${where}: what the browser sent`).toEqual(step.sent);
    } else if ("shows" in step) {
      for (const [commId, values] of Object.entries(step.shows)) {
        const model = manager.lookup(commId);
        if (!model) throw new Error(`${where}: the runtime has no model ${commId}`);
        for (const [key, value] of Object.entries(values)) expect(model.get(key), `${where}: ${commId}.${key}`).toEqual(value);
      }
    } else {
      throw new Error(`${where}: unknown step ${JSON.stringify(Object.keys(step))}`);
    }
  });
  // Everything the runtime sent was expected by some `sent` step.
  expect(kernel.sent.slice(seen).map((s) => s.data), `${c.name}: sent after the last 'sent' step`).toEqual([]);
}

describe(`golden exchanges (${override ?? RELATIVE})`, () => {
  it("the cases file exists and has cases", () => {
    expect(text, `${RELATIVE} is missing: the Python side records it (tests/, widgets.testing)`).not.toBeNull();
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => replay(c));
});
