import { GraphQLSchema, specifiedDirectives } from 'graphql';
import { builder } from '../builder.ts';
import { ERROR_CODES_DESCRIPTION } from '../errors.ts';
import { rateLimitDirective } from '../limiter/directive.ts';
import './scalars.ts';
import './invitation.ts';
import './create-invitations.ts';
import './gateway-status.ts';
import './clerk-reachability.ts';
import './invitation-admin.ts';
import './organization-invitations.ts';
import './invitation-jobs.ts';

// Spread specifiedDirectives: a bare list would replace them and drop @skip, @include and @deprecated.
const built = builder.toSchema({ directives: [...specifiedDirectives, rateLimitDirective] });
// Pothos has no schema description option; the error codes belong to the whole API, so they go there.
export const schema = new GraphQLSchema({ ...built.toConfig(), description: ERROR_CODES_DESCRIPTION });
