/** `arn:<partition>:<service>:<region>:<account>:<resource>` → region, when `arn` is an ARN of `service`. */
export function regionOf(arn: string, service: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[2] === service && parts[3] ? parts[3] : undefined;
}

/**
 * One AWS client per region (the resource's own, from its ARN) and endpoint override: the SDK
 * reads `AWS_ENDPOINT_URL_<SERVICE>` once, when a client is made, so a changed override needs
 * a new client. `make` gets the region, or undefined when the ARN names none.
 */
export function clientForArn<T>(cache: Map<string, T>, arn: string, service: string, endpointEnv: string, make: (region?: string) => T): T {
  const region = regionOf(arn, service);
  const cacheKey = `${region ?? ''} ${process.env[endpointEnv] ?? ''}`;
  let client = cache.get(cacheKey);
  if (!client) {
    client = make(region);
    cache.set(cacheKey, client);
  }
  return client;
}
