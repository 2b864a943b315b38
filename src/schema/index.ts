import { specifiedDirectives } from 'graphql';
import { builder } from '../builder.ts';
import { rateLimitDirective } from '../limiter/directive.ts';
import './scalars.ts';
import './invitation.ts';
import './create-invitations.ts';
import './gateway-status.ts';
import './clerk-reachability.ts';
import './invitation-admin.ts';
import './organization-invitations.ts';

// Spread specifiedDirectives: a bare list would replace them and drop @skip, @include and @deprecated.
export const schema = builder.toSchema({ directives: [...specifiedDirectives, rateLimitDirective] });
