/**
 * The bundled handler's entry (esbuild bundles this file into `index.js`): one function per
 * entry point of the contract, which the construct configures as `index.onEvent` and
 * `index.isComplete` (`handlerSetting`) for the CDK Provider framework. The work lives in
 * on-event.ts and is-complete.ts.
 */
import type { Context } from 'aws-lambda';
import { IsCompleteRequest, IsCompleteResponse, OnEventRequest, OnEventResponse } from './framework';
import { isComplete as isCompleteWith } from './is-complete';
import { onEvent as onEventWith } from './on-event';
import { EntryPoint } from '../src/shared/contract';

/** The handlers, one per entry point: an entry point added to the contract does not compile until it has one. */
const HANDLERS = {
  async onEvent(event: OnEventRequest): Promise<OnEventResponse> {
    return onEventWith(event);
  },
  async isComplete(event: IsCompleteRequest, context: Context): Promise<IsCompleteResponse> {
    return isCompleteWith(event, context);
  },
} satisfies { readonly [E in EntryPoint]: (...args: never[]) => Promise<unknown> };

export const { onEvent, isComplete } = HANDLERS;
