/**
 * Message labels exactly as the diagrams in shared/sequences write them; `\n` stays the two
 * characters backslash and n, as in the .wsd text.
 */
export const Label = {
  requestUpdate: 'request\\nupdate',
  requestScaleOut: 'request scale-out',
  requestScaleIn: 'request scale-in',
  requestHealing: 'request healing',
  requestUpgrade: 'request upgrade',
  requestMigration: 'request migration',
  /** docs/sequences/terminate.wsd: the one diagram of the project's own, not of shared/sequences */
  requestTermination: 'request termination',
  notify: 'notify',
  activateCluster: 'activate cluster',
  createCluster: 'create cluster',
  startCluster: 'start cluster',
  activateVirtualHost: 'activate virtual host',
  activateNewVirtualHost: 'activate new virtual host',
  createVirtualHost: 'create virtual host',
  startVirtualHost: 'start virtual host',
  activateApplication: 'activate application',
  createApplication: 'create application',
  startApplication: 'start application',
  scaleOutCluster: 'scale-out cluster',
  addNodeToCluster: 'reconfigure cluster\\n(add node to cluster)',
  reconfigureClient: 'reconfigure client',
  updateServiceEndpoints: 'reconfigure client cluster\\n(update service endpoints)',
  scaleInCluster: 'scale-in cluster',
  removeNodeFromCluster: 'reconfigure cluster\\n(determine node and remove it from cluster)',
  removeOldVersionNode: 'reconfigure cluster\\n(determine node with old version\\nand remove it from cluster)',
  removeOldNode: 'reconfigure cluster\\n(determine old node\\nand remove it from cluster)',
  destroyApplication: 'destroy application',
  stopApplication: 'stop application',
  destroyApplicationOptional: 'destroy application\\n(optional)',
  removeVirtualHost: 'remove virtual host',
  removeOldVirtualHost: 'remove old virtual host',
  stopVirtualHost: 'stop virtual host',
  destroyVirtualHost: 'destroy virtual host',
  empty: '',
} as const;
export type Label = (typeof Label)[keyof typeof Label];
