import { describe, expect, it } from "vitest";
import { parseEnrolmentLink } from "./enrolment";

describe("enrolment links", () => {
  it("gives the server and code of a link as the server prints it", () => {
    const link = "lagesbild://enroll?server=https%3A%2F%2Flagesbild.salem.se%3A8443%2Fsync&code=K7QX-M2PA-9RTW";
    expect(parseEnrolmentLink(link)).toEqual({ server: "https://lagesbild.salem.se:8443/sync", code: "K7QX-M2PA-9RTW" });
  });
  it("ignores the spaces and line breaks a QR reader's clipboard may add", () => {
    expect(parseEnrolmentLink("  lagesbild://enroll?server=http://10.0.0.5:8787&code=ABCD-EFGH-JKMN\n")).toEqual({
      server: "http://10.0.0.5:8787", code: "ABCD-EFGH-JKMN",
    });
  });
  it("leaves a typed code or address alone", () => {
    expect(parseEnrolmentLink("K7QX-M2PA-9RTW")).toBeNull();
    expect(parseEnrolmentLink("https://lagesbild.salem.se")).toBeNull();
  });
  it("refuses a link that lacks a code, has no web address, or is for something else", () => {
    expect(parseEnrolmentLink("lagesbild://enroll?server=https://a.se")).toBeNull();
    expect(parseEnrolmentLink("lagesbild://enroll?server=javascript:alert(1)&code=X")).toBeNull();
    expect(parseEnrolmentLink("lagesbild://report?server=https://a.se&code=X")).toBeNull();
    expect(parseEnrolmentLink("lagesbild://enroll?server=https%3A%2F%2F&code=X")).toBeNull();
    expect(parseEnrolmentLink("lagesbild://%%")).toBeNull();
  });
  it("takes the scheme in capitals, as some QR readers give it", () => {
    expect(parseEnrolmentLink("LAGESBILD://ENROLL?server=http://10.0.0.5:8787&code=ABCD")).toEqual({
      server: "http://10.0.0.5:8787", code: "ABCD",
    });
  });

  it("carries the municipality's CA when the link has one", () => {
    expect(parseEnrolmentLink("lagesbild://enroll?server=https://a.se&code=K7QX&ca=MIIBkTCC-_x")).toEqual({
      server: "https://a.se", code: "K7QX", ca: "MIIBkTCC-_x",
    });
    expect(parseEnrolmentLink("lagesbild://enroll?server=https://a.se&code=K7QX&ca=%3Cscript%3E")).toBeNull();
  });
});
