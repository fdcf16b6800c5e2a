// Imports every type file (each registers itself on the builder) and builds the schema.
import { builder } from '../builder.js';
import './errors.js';
import './box.js';
import './index-type.js';
import './document.js';
import './search.js';
import './progress.js';

export const schema = builder.toSchema({ sortSchema: true });
