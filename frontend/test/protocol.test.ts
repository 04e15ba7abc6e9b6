import { describe, expect, it } from "vitest";
import {
  BROWSER_ERROR_KINDS,
  checkVersion,
  KERNEL_ERROR_KINDS,
  PROTOCOL_VERSION,
  ProtocolError,
  REFERENCE_PREFIX,
  truncate,
} from "../src/protocol";
import { readRepoFile } from "./files";

function versionError(version: unknown): ProtocolError {
  try {
    checkVersion(version);
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error(`${JSON.stringify(version)} was accepted`);
}

describe("version rule", () => {
  it("speaks 2.0, with IPY_MODEL_ references", () => {
    expect(PROTOCOL_VERSION).toBe("2.0");
    expect(REFERENCE_PREFIX).toBe("IPY_MODEL_");
  });

  it("accepts any minor of its major", () => {
    for (const version of ["2.0", "2.1", "2.99"]) expect(() => checkVersion(version)).not.toThrow();
  });

  it("another major is `version`", () => {
    for (const version of ["1.0", "3.0", "20.0", "02.0"]) expect(versionError(version).kind, version).toBe("version");
  });

  it("anything not <major>.<minor> in ASCII digits is `bad_message`", () => {
    for (const version of ["2", "2.0.1", "v2.0", " 2.0", "2.0\n", "2.", ".0", "٢.٠", "２.0", "2.0a", "", "2.-1", 2, 2.0, null, ["2.0"], undefined]) {
      expect(versionError(version).kind, JSON.stringify(version)).toBe("bad_message");
    }
  });

  it("error messages are cut to 500 characters", () => {
    expect(truncate("x".repeat(10_000))).toHaveLength(500);
    expect(truncate("x".repeat(10_000)).endsWith("…")).toBe(true);
    expect(truncate("short")).toBe("short");
  });
});

describe("error kinds", () => {
  it("the kernel's kinds are exactly those of docs/protocol.md's Errors table", () => {
    const doc = readRepoFile("docs/protocol.md");
    expect(doc, "docs/protocol.md must exist").not.toBeNull();
    const section = (doc as string).split(/^## Errors\s*$/m)[1]?.split(/^## /m)[0] ?? "";
    const kinds = [...section.matchAll(/^\|\s*`([a-z_]+)`\s*\|/gm)].map((m) => m[1]);
    expect(kinds.length).toBeGreaterThan(5);
    expect(new Set(kinds)).toEqual(new Set(KERNEL_ERROR_KINDS));
  });

  it("the browser's own kinds are documented in docs/javascript.md and are not kernel kinds", () => {
    const doc = readRepoFile("docs/javascript.md") as string;
    for (const kind of BROWSER_ERROR_KINDS) {
      expect(doc, kind).toContain(`\`${kind}\``);
      expect(KERNEL_ERROR_KINDS as readonly string[]).not.toContain(kind);
    }
  });
});
