/** `arn:<partition>:<service>:<region>:<account>:<resource>` → region, when `arn` is an ARN of `service`. */
export function regionOf(arn: string, service: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[2] === service && parts[3] ? parts[3] : undefined;
}
