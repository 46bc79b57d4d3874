/**
 * Entry point of the bundled handler: `index.onEvent` and `index.isComplete` for the CDK
 * Provider framework. The routing and the work live in on-event.ts and is-complete.ts.
 */
import type { Context } from 'aws-lambda';
import { IsCompleteRequest, IsCompleteResponse, OnEventRequest, OnEventResponse } from './framework';
import { isComplete as isCompleteWith } from './is-complete';
import { onEvent as onEventWith } from './on-event';

export async function onEvent(event: OnEventRequest): Promise<OnEventResponse> {
  return onEventWith(event);
}

export async function isComplete(event: IsCompleteRequest, context: Context): Promise<IsCompleteResponse> {
  return isCompleteWith(event, context);
}
