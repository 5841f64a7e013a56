// What an enrolment QR code holds: `lagesbild://enroll?server=<address>&code=<code>`,
// and `&ca=<certificate>` when the server's certificate is issued by the municipality's
// own CA, printed by the server's `enroll` command (core's `sync::link` defines it). A QR
// reader gives the user that text; pasted into either field of the enrolment form, it
// fills both, and the CA goes with them. Unit-tested.

export interface Enrolment {
  server: string;
  code: string;
  /** The CA certificate, DER in base64url. */
  ca?: string;
}

const PREFIX = "lagesbild://enroll?";

/** The server and code an enrolment link carries, or `null` for anything else. */
export function parseEnrolmentLink(text: string): Enrolment | null {
  const trimmed = text.trim();
  if (trimmed.slice(0, PREFIX.length).toLowerCase() !== PREFIX) return null;
  const query = new URLSearchParams(trimmed.slice(PREFIX.length));
  const server = query.get("server")?.trim() ?? "";
  const code = query.get("code")?.trim() ?? "";
  const ca = query.get("ca")?.trim();
  if (!/^https?:\/\/\S+$/i.test(server) || code === "") return null;
  if (ca === undefined) return { server, code };
  if (!/^[A-Za-z0-9_-]+$/.test(ca)) return null;
  return { server, code, ca };
}
