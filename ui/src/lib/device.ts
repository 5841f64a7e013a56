// What the device offers the app: where it is (for "nearest place") and its camera (for
// the enrolment QR code). On phones these come from Tauri's official plugins, which also
// ask for the operating system's permission; on desktops the web view's geolocation
// serves and there is no scanner.

import {
  checkPermissions as checkLocation,
  getCurrentPosition,
  requestPermissions as requestLocation,
} from "@tauri-apps/plugin-geolocation";
import {
  Format,
  checkPermissions as checkCamera,
  requestPermissions as requestCamera,
  scan,
} from "@tauri-apps/plugin-barcode-scanner";
import type { Position } from "./bindings";

/** Whether the app runs on a phone or tablet (the mobile builds' web views say so). */
export function onPhone(userAgent: string = navigator.userAgent): boolean {
  return /Android|iPhone|iPad|iPod/i.test(userAgent);
}

const options = { enableHighAccuracy: true, timeout: 5000, maximumAge: 60000 };

/** Where the device is, or null when it cannot or may not tell. */
export async function currentPosition(phone: boolean = onPhone()): Promise<Position | null> {
  if (phone) {
    try {
      let status = (await checkLocation()).location;
      if (status === "prompt" || status === "prompt-with-rationale") {
        status = (await requestLocation(["location"])).location;
      }
      if (status !== "granted") return null;
      const p = await getCurrentPosition(options);
      return { lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy };
    } catch {
      return null;
    }
  }
  return new Promise((resolve) => {
    if (!navigator.geolocation) {
      resolve(null);
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy }),
      () => resolve(null),
      options,
    );
  });
}

/** Scans a QR code with the camera (phones only); its text, or null if none was read. */
export async function scanQrCode(): Promise<string | null> {
  let camera = await checkCamera();
  if (camera !== "granted" && camera !== "denied") camera = await requestCamera();
  if (camera !== "granted") return null;
  const scanned = await scan({ formats: [Format.QRCode] });
  return scanned.content || null;
}
