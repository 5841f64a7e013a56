// The report form's values, and what saving them sends: a draft for a new report, or a
// patch of only the changed fields for an edit (so an edit never undoes someone else's
// change to another field). Unit-tested.

import type { Grade, Observation, ObservationDraft, ObservationPatch, Position, Visibility } from "./bindings";
import { swedishTime } from "./format";

export interface FormValues {
  place: string | null;
  category: string | null;
  grade: Grade | null;
  people: number | null;
  ageGroup: string;
  source: string;
  description: string;
  /** Swedish time as typed, `2026-11-24 21:30` or `21:30`; empty means now. */
  when: string;
  /** The end of a span, as `when`; empty when the observation was a moment. */
  until: string;
  /** Where at the place: "vid busshållplatsen". */
  placeDetail: string;
  /** Who may read the details (core's `Visibility` codes). */
  visibility: Visibility;
}

export const emptyForm = (): FormValues => ({
  place: null, category: null, grade: null, people: null, ageGroup: "", source: "", description: "", when: "",
  until: "", placeDetail: "", visibility: "alla",
});

/**
 * An instant as the form shows it: Swedish time, `2026-11-24 21:30`, which is how the
 * core reads the text back, whatever zone or locale the device is set to.
 */
export function toLocalInput(iso: string): string {
  return swedishTime(new Date(iso));
}

export function formOf(o: Observation): FormValues {
  return {
    place: o.place, category: o.category, grade: o.grade, people: o.people,
    ageGroup: o.age_group ?? "", source: o.source ?? "", description: o.description,
    when: toLocalInput(o.observed_at), until: o.observed_until ? toLocalInput(o.observed_until) : "",
    placeDetail: o.place_detail ?? "", visibility: o.visibility,
  };
}

/** `number` inputs give "" when cleared. */
function count(people: number | null | string): number | null {
  return people === "" || people === null ? null : Number(people);
}

export function draftOf(v: FormValues, position: Position | null, acknowledge: boolean): ObservationDraft {
  return {
    place: v.place, category: v.category, grade: v.grade, people: count(v.people),
    age_group: v.ageGroup || null, source: v.source || null, description: v.description || null,
    observed_at: v.when || null, observed_until: v.until || null, place_detail: v.placeDetail.trim() || null,
    visibility: v.visibility, position, acknowledge_personnummer: acknowledge,
  };
}

/** Only what differs from the report as it was; `null` when nothing does. */
export function patchOf(before: Observation, v: FormValues, acknowledge: boolean): ObservationPatch | null {
  const was = formOf(before);
  const patch: ObservationPatch = {};
  if (v.place !== was.place) patch.place = v.place;
  if (v.category !== was.category) patch.category = v.category;
  if (v.grade !== was.grade) patch.grade = v.grade;
  if (count(v.people) !== was.people) patch.people = count(v.people);
  if (v.ageGroup !== was.ageGroup) patch.age_group = v.ageGroup || null;
  if (v.source !== was.source) patch.source = v.source || null;
  if (v.description !== was.description) patch.description = v.description;
  if (v.when !== was.when && v.when) patch.observed_at = v.when;
  if (v.until !== was.until) patch.observed_until = v.until || null;
  if (v.placeDetail.trim() !== was.placeDetail) patch.place_detail = v.placeDetail.trim() || null;
  if (v.visibility !== was.visibility) patch.visibility = v.visibility;
  if (Object.keys(patch).length === 0) return null;
  if (acknowledge) patch.acknowledge_personnummer = true;
  return patch;
}
