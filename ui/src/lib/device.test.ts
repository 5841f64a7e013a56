import { afterEach, describe, expect, it, vi } from "vitest";
import { currentPosition, onPhone } from "./device";

describe("onPhone", () => {
  it("tells the mobile web views from the desktop ones", () => {
    expect(onPhone("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36")).toBe(true);
    expect(onPhone("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15")).toBe(true);
    expect(onPhone("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)")).toBe(false);
  });
});

describe("currentPosition on a desktop", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("uses the web view's geolocation", async () => {
    vi.stubGlobal("navigator", {
      geolocation: {
        getCurrentPosition: (ok: PositionCallback) =>
          ok({ coords: { latitude: 59.19, longitude: 17.75, accuracy: 12 } } as GeolocationPosition),
      },
    });
    expect(await currentPosition(false)).toEqual({ lat: 59.19, lon: 17.75, accuracy_m: 12 });
  });

  it("is null when the position is refused or there is no geolocation", async () => {
    vi.stubGlobal("navigator", {
      geolocation: { getCurrentPosition: (_ok: PositionCallback, fail: PositionErrorCallback) => fail({} as GeolocationPositionError) },
    });
    expect(await currentPosition(false)).toBeNull();
    vi.stubGlobal("navigator", {});
    expect(await currentPosition(false)).toBeNull();
  });
});
