// $public_ipv4-style substitution, applied to the raw user-data text before
// parsing, as initialize/env.go did: an occurrence not preceded by a
// backslash becomes the value; "\$private_ipv4" becomes the literal
// "$private_ipv4". There is no ${...} form.

export interface Metadata {
  publicIPv4?: string;
  privateIPv4?: string;
  publicIPv6?: string;
  privateIPv6?: string;
}

export interface Substitutions {
  $public_ipv4: string;
  $private_ipv4: string;
  $public_ipv6: string;
  $private_ipv6: string;
}

/** Values as the original chose them: the datasource's address when it had
 *  one, else COREOS_* from the environment (the units load /etc/environment),
 *  else empty. */
export function substitutionsFrom(metadata: Metadata, env: Readonly<Record<string, string | undefined>> = {}): Substitutions {
  return {
    $public_ipv4: metadata.publicIPv4 ?? env.COREOS_PUBLIC_IPV4 ?? '',
    $private_ipv4: metadata.privateIPv4 ?? env.COREOS_PRIVATE_IPV4 ?? '',
    $public_ipv6: metadata.publicIPv6 ?? env.COREOS_PUBLIC_IPV6 ?? '',
    $private_ipv6: metadata.privateIPv6 ?? env.COREOS_PRIVATE_IPV6 ?? '',
  };
}

const KEYS = ['$public_ipv4', '$private_ipv4', '$public_ipv6', '$private_ipv6'] as const;

export function substitute(text: string, subs: Substitutions): string {
  let out = text;
  for (const key of KEYS) {
    const name = key.slice(1);
    // The preceding character is consumed by the match, so of two adjacent
    // occurrences only the first is replaced, exactly as Go's regexp did.
    out = out.replace(new RegExp(`([^\\\\]|^)\\$${name}`, 'g'), (_m, pre: string) => pre + subs[key]);
    out = out.replace(new RegExp(`\\\\\\$${name}`, 'g'), () => key);
  }
  return out;
}
