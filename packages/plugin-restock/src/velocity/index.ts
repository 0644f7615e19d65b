export { velocityClasses } from './velocity.js';
export type { AbcClass, VelocityClass, VelocityInput, VelocityOptions, XyzClass } from './velocity.js';
