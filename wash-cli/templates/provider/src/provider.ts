// The {{name}} capability provider ({{capability}}): a process the host starts from its signed
// archive. startProvider reads the host's start-up data, joins the lattice, keeps the links and
// answers the invocations of linked actors with the operations in operations.ts.

import { startProvider } from 'wash/provider-sdk';
import { operations } from './operations.ts';

await startProvider({
  operations,
  linkPut: (link, provider) => provider.log.info(`linked to actor ${link.actor_id}`),
  linkDel: (link, provider) => provider.log.info(`unlinked from actor ${link.actor_id}`),
});
