import { describe, expect, it } from "vitest";
import { actionLabel, byOrganisation, filterAudit, qrPath } from "./admin";
import type { AuditEntry, People } from "./bindings";

describe("QR code drawing", () => {
  it("draws each row's runs of dark modules as one rectangle, inside the quiet zone", () => {
    // 3 × 3: a dark top row, a lone middle module, a dark bottom-left pair.
    const dark = [true, true, true, false, true, false, true, true, false];
    expect(qrPath(3, dark, 4)).toBe("M4 4h3v1h-3zM5 5h1v1h-1zM4 6h2v1h-2z");
  });
  it("draws nothing for an empty code", () => {
    expect(qrPath(2, [false, false, false, false])).toBe("");
  });
});

const entry = (action: string, detail: string, user_name: string | null = "Anna Lind"): AuditEntry => ({
  seq: 1, at: "2026-11-29T10:00:00Z", workspace: null, user: null, user_name, device: null,
  address: "10.0.0.7", action, target: null, detail,
});

describe("the audit log", () => {
  it("names actions in Swedish and English, and unknown ones as themselves", () => {
    expect(actionLabel("device.revoke", "sv")).toBe("Enhet avstängd");
    expect(actionLabel("device.revoke", "en")).toBe("Device switched off");
    expect(actionLabel("something.new", "sv")).toBe("something.new");
  });
  it("narrows to a group and to words, reports including erasures", () => {
    const log = [
      entry("device.revoke", "Jonas's phone"),
      entry("observation.erase", "report erased"),
      entry("report.correct", "grade 4 to 3"),
      entry("enrolment.failed", "unknown code", null),
    ];
    expect(filterAudit(log, "report", "", "sv").map((e) => e.action)).toEqual(["observation.erase", "report.correct"]);
    expect(filterAudit(log, null, "avstängd", "sv").map((e) => e.action)).toEqual(["device.revoke"]);
    expect(filterAudit(log, null, "10.0.0.7", "sv")).toHaveLength(4);
    expect(filterAudit(log, "enrolment", "", "sv")).toHaveLength(1);
  });
  it("searches the detail as it is said, in the chosen language", () => {
    // The app's `audit` command says each detail as a sentence; the search reads that.
    const log = [
      entry("device.revoke", "Enheten ”Veras telefon” (Vera Vakt) stängdes av"),
      entry("register.add_place", "Ny plats: Ny park (i Salems centrum)"),
    ];
    expect(filterAudit(log, null, "veras telefon", "sv").map((e) => e.action)).toEqual(["device.revoke"]);
    expect(filterAudit(log, null, "salems centrum", "sv").map((e) => e.action)).toEqual(["register.add_place"]);
    expect(filterAudit(log, "register", "ny plats", "sv")).toHaveLength(1);
  });
});

describe("people by organisation", () => {
  const people: People = {
    organisations: [
      { id: "o1", name: "Salems kommun", kind: "kommun" },
      { id: "o2", name: "Securitas", kind: "vaktbolag" },
    ],
    people: [
      { user: "u2", name: "Örjan Vakt", organisation: "o2", role: "vaktare", active: true, devices: [] },
      { user: "u1", name: "Anna Lind", organisation: "o1", role: "samordnare", active: true, devices: [] },
      { user: "u3", name: "Bo Ek", organisation: "o2", role: "vaktare", active: false,
        devices: [{ id: "d1", name: "Bos telefon", enrolled_at: "2026-11-01T10:00:00Z", last_seen: null, app_version: null, revoked: false }] },
    ],
  } as unknown as People;
  it("groups in register order with names sorted the Swedish way", () => {
    const groups = byOrganisation(people);
    expect(groups.map((g) => g.name)).toEqual(["Salems kommun", "Securitas"]);
    expect(groups[1]?.people.map((p) => p.name)).toEqual(["Bo Ek", "Örjan Vakt"]);
  });
  it("finds a person by their name or a device's, and leaves out empty organisations", () => {
    expect(byOrganisation(people, "telefon").map((g) => g.people.map((p) => p.name))).toEqual([["Bo Ek"]]);
  });
});
