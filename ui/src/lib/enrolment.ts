// What an enrolment QR code holds: `lagesbild://enroll?server=<address>&code=<code>`,
// printed by the server's `enroll` command (core's `sync::link` defines it). A QR reader
// gives the user that text; pasted into either field of the enrolment form, it fills
// both. Unit-tested.

export interface Enrolment {
  server: string;
  code: string;
}

const PREFIX = "lagesbild://enroll?";

/** The server and code an enrolment link carries, or `null` for anything else. */
export function parseEnrolmentLink(text: string): Enrolment | null {
  const trimmed = text.trim();
  if (trimmed.slice(0, PREFIX.length).toLowerCase() !== PREFIX) return null;
  const query = new URLSearchParams(trimmed.slice(PREFIX.length));
  const server = query.get("server")?.trim() ?? "";
  const code = query.get("code")?.trim() ?? "";
  if (!/^https?:\/\/\S+$/i.test(server) || code === "") return null;
  return { server, code };
}
