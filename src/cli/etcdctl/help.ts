// Help texts, byte for byte as etcdctl 3.4.23 (urfave/cli v1.20) prints them,
// except that the v2 auth commands (user, role, auth), which coracle's
// etcdctl does not have, are not listed.

export function appHelp(version: string): string {
  return `NAME:
   etcdctl - A simple command line client for etcd.

USAGE:
   etcdctl [global options] command [command options] [arguments...]

VERSION:
   ${version}

COMMANDS:
   backup          backup an etcd directory
   cluster-health  check the health of the etcd cluster
   mk              make a new key with a given value
   mkdir           make a new directory
   rm              remove a key or a directory
   rmdir           removes the key if it is an empty directory or a key-value pair
   get             retrieve the value of a key
   ls              retrieve a directory
   set             set the value of a key
   setdir          create a new directory or update an existing directory TTL
   update          update an existing key with a given value
   updatedir       update an existing directory
   watch           watch a key for changes
   exec-watch      watch a key for changes and exec an executable
   member          member add, remove and list subcommands
   help, h         Shows a list of commands or help for one command

GLOBAL OPTIONS:
   --debug                          output cURL commands which can be used to reproduce the request
   --no-sync                        don't synchronize cluster information before sending request
   --output simple, -o simple       output response in the given format (simple, \`extended\` or \`json\`) (default: "simple")
   --discovery-srv value, -D value  domain name to query for SRV records describing cluster endpoints
   --insecure-discovery             accept insecure SRV records describing cluster endpoints
   --peers value, -C value          DEPRECATED - "--endpoints" should be used instead
   --endpoint value                 DEPRECATED - "--endpoints" should be used instead
   --endpoints value                a comma-delimited list of machine addresses in the cluster (default: "http://127.0.0.1:2379,http://127.0.0.1:4001")
   --cert-file value                identify HTTPS client using this SSL certificate file
   --key-file value                 identify HTTPS client using this SSL key file
   --ca-file value                  verify certificates of HTTPS-enabled servers using this CA bundle
   --username value, -u value       provide username[:password] and prompt if password is not supplied.
   --timeout value                  connection timeout per request (default: 2s)
   --total-timeout value            timeout for the command execution (except watch) (default: 5s)
   --help, -h                       show help
   --version, -v                    print the version
`;
}

/** Help of each command, keyed by its path (`get`, `member add`). */
export const commandHelp: ReadonlyMap<string, string> = new Map<string, string>([
  ["backup", "NAME:\n   etcdctl backup - backup an etcd directory\n\nUSAGE:\n   etcdctl backup [command options]  \n\nOPTIONS:\n   --data-dir value        Path to the etcd data dir\n   --wal-dir value         Path to the etcd wal dir\n   --backup-dir value      Path to the backup dir\n   --backup-wal-dir value  Path to the backup wal dir\n   --with-v3               Backup v3 backend data\n   \n"],
  ["cluster-health", "NAME:\n   etcdctl cluster-health - check the health of the etcd cluster\n\nUSAGE:\n   etcdctl cluster-health [command options]  \n\nOPTIONS:\n   --forever, -f  forever check the health every 10 second until CTRL+C\n   \n"],
  ["mk", "NAME:\n   etcdctl mk - make a new key with a given value\n\nUSAGE:\n   etcdctl mk [command options] <key> <value>\n\nOPTIONS:\n   --in-order   create in-order key under directory <key>\n   --ttl value  key time-to-live in seconds (default: 0)\n   \n"],
  ["mkdir", "NAME:\n   etcdctl mkdir - make a new directory\n\nUSAGE:\n   etcdctl mkdir [command options] <key>\n\nOPTIONS:\n   --ttl value  key time-to-live in seconds (default: 0)\n   \n"],
  ["rm", "NAME:\n   etcdctl rm - remove a key or a directory\n\nUSAGE:\n   etcdctl rm [command options] <key>\n\nOPTIONS:\n   --dir               removes the key if it is an empty directory or a key-value pair\n   --recursive, -r     removes the key and all child keys(if it is a directory)\n   --with-value value  previous value\n   --with-index value  previous index (default: 0)\n   \n"],
  ["rmdir", "NAME:\n   etcdctl rmdir - removes the key if it is an empty directory or a key-value pair\n\nUSAGE:\n   etcdctl rmdir <key>\n"],
  ["get", "NAME:\n   etcdctl get - retrieve the value of a key\n\nUSAGE:\n   etcdctl get [command options] <key>\n\nOPTIONS:\n   --sort        returns result in sorted order\n   --quorum, -q  require quorum for get request\n   \n"],
  ["ls", "NAME:\n   etcdctl ls - retrieve a directory\n\nUSAGE:\n   etcdctl ls [command options] [key]\n\nOPTIONS:\n   --sort           returns result in sorted order\n   --recursive, -r  returns all key names recursively for the given path\n   -p               append slash (/) to directories\n   --quorum, -q     require quorum for get request\n   \n"],
  ["set", "NAME:\n   etcdctl set - set the value of a key\n\nUSAGE:\n   etcdctl set [command options] <key> <value>\n\nDESCRIPTION:\n   Set sets the value of a key.\n\n   When <value> begins with '-', <value> is interpreted as a flag.\n   Insert '--' for workaround:\n\n   $ set -- <key> <value>\n\nOPTIONS:\n   --ttl value              key time-to-live in seconds (default: 0)\n   --swap-with-value value  previous value\n   --swap-with-index value  previous index (default: 0)\n   \n"],
  ["setdir", "NAME:\n   etcdctl setdir - create a new directory or update an existing directory TTL\n\nUSAGE:\n   etcdctl setdir [command options] <key>\n\nOPTIONS:\n   --ttl value  key time-to-live in seconds (default: 0)\n   \n"],
  ["update", "NAME:\n   etcdctl update - update an existing key with a given value\n\nUSAGE:\n   etcdctl update [command options] <key> <value>\n\nOPTIONS:\n   --ttl value  key time-to-live in seconds (default: 0)\n   \n"],
  ["updatedir", "NAME:\n   etcdctl updatedir - update an existing directory\n\nUSAGE:\n   etcdctl updatedir [command options] <key> <value>\n\nOPTIONS:\n   --ttl value  key time-to-live in seconds (default: 0)\n   \n"],
  ["watch", "NAME:\n   etcdctl watch - watch a key for changes\n\nUSAGE:\n   etcdctl watch [command options] <key>\n\nOPTIONS:\n   --forever, -f        forever watch a key until CTRL+C\n   --after-index value  watch after the given index (default: 0)\n   --recursive, -r      returns all values for key and child keys\n   \n"],
  ["exec-watch", "NAME:\n   etcdctl exec-watch - watch a key for changes and exec an executable\n\nUSAGE:\n   etcdctl exec-watch [command options] <key> <command> [args...]\n\nOPTIONS:\n   --after-index value  watch after the given index (default: 0)\n   --recursive, -r      watch all values for key and child keys\n   \n"],
  ["member", "NAME:\n   etcdctl member - member add, remove and list subcommands\n\nUSAGE:\n   etcdctl member command [command options] [arguments...]\n\nCOMMANDS:\n   list    enumerate existing cluster members\n   add     add a new member to the etcd cluster\n   remove  remove an existing member from the etcd cluster\n   update  update an existing member in the etcd cluster\n\nOPTIONS:\n   --help, -h  show help\n   \n"],
  ["member list", "NAME:\n   etcdctl member list - enumerate existing cluster members\n\nUSAGE:\n   etcdctl member list  \n"],
  ["member add", "NAME:\n   etcdctl member add - add a new member to the etcd cluster\n\nUSAGE:\n   etcdctl member add <name> <peerURL>\n"],
  ["member remove", "NAME:\n   etcdctl member remove - remove an existing member from the etcd cluster\n\nUSAGE:\n   etcdctl member remove <memberID>\n"],
  ["member update", "NAME:\n   etcdctl member update - update an existing member in the etcd cluster\n\nUSAGE:\n   etcdctl member update <memberID> <peerURLs>\n"],
]);
