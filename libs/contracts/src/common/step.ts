/**
 * A step's one identity, the same in the operation record, the `Vnf-Step` header, the in-flight
 * probe and every trace entry: `<op>/<key>` for a step of the AO's saga (`<op>/web/1/host`), and
 * a receiver's own part of it appended (`<op>/web/1/host/create`). A step sent again carries the
 * same reference, so a receiver does it once and a reader of the trace knows it for a retry.
 */
export type StepRef = string;

export const StepRef = {
  /** the reference of the saga step `key` of operation `op` */
  of: (op: string, key: string): StepRef => `${op}/${key}`,
  /** a receiver's part of `parent` (the VIM's create of an activate, the VNFM's start of one) */
  child: (parent: StepRef, part: string): StepRef => `${parent}/${part}`,
  /** whether `ref` is `step` itself or one of its parts */
  within: (ref: StepRef, step: StepRef): boolean => ref === step || ref.startsWith(`${step}/`),
} as const;

/**
 * Where a request comes from, as a receiver's handler gets it: the operation, and the step
 * reference when the request is one (queries and a reconciler's own work carry none).
 */
export interface Origin {
  op: string;
  step?: StepRef;
  /** the step was sent before (Header.again) */
  again?: true;
}

/** The reference a receiver's part `part` of the request from `o` goes under. */
export const partOf = (o: Origin, part: string): StepRef => StepRef.child(o.step ?? o.op, part);
