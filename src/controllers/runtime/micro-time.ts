/**
 * A Kubernetes MicroTime: a Date whose JSON has six fractional digits, as metav1.MicroTime wants
 * (Event `eventTime`, Lease `renewTime`); the same as client-node's V1MicroTime, without loading
 * client-node's generated modules.
 */
export class MicroTime extends Date {
  override toISOString(): string {
    return `${super.toISOString().slice(0, -1)}000Z`;
  }
}
