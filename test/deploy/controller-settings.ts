// The environment variables the application controller reads (controller/config.ts's
// CONTROLLER_SETTINGS): the compose and chart tests check that they set nothing else, and resolve
// what they set with the controller's own config code.
import { CONTROLLER_SETTINGS } from '../../controller/config.ts';

export const CONTROLLER_VARIABLES: ReadonlySet<string> = new Set(
  Object.values(CONTROLLER_SETTINGS).map((spec) => spec.env),
);
