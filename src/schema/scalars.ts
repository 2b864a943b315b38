import { DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import { builder } from '../builder.ts';

builder.addScalarType('JSONObject', JSONObjectResolver, {
  description: 'A JSON object (not an array or a primitive), passed through to Clerk unchanged.',
});
builder.addScalarType('DateTime', DateTimeResolver, {
  description: 'A point in time as an ISO-8601 string in UTC, e.g. 2026-11-26T10:00:00.000Z.',
});
