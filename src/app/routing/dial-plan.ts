/**
 * The dial plan: turns a dialed target into a route, deny by default.
 * Rules are tried in order; the first that matches decides. Pure: the registrar
 * lookup happens after, in the call handler, for `user` routes.
 */
export type RouteTarget =
  | { kind: 'user'; user: string }
  | { kind: 'endpoint'; name: string }
  | { kind: 'trunk'; trunk: string; number: string }
  | { kind: 'group'; group: string };

export interface DialRule {
  /** Human name, for logs and CDRs. */
  name: string;
  /** Who may use the rule: 'user' (authenticated local users/phones), 'trunk' (inbound from a trunk), or both. */
  from: Array<'user' | 'trunk'>;
  /** Regular expression on the dialed user part (after normalization), anchored. */
  match: string;
  /** Digits removed from the front after matching. */
  strip?: number;
  /** Digits added to the front after stripping. */
  prepend?: string;
  /** Where it goes. `$user` in user/group names is replaced by the (rewritten) number. */
  to: { user: string } | { endpoint: string } | { trunk: string } | { group: string };
}

export interface DialPlanOptions {
  rules: DialRule[];
  /** E.164 normalization of national numbers: country code (e.g. "1", "44") and national trunk prefix ("0"). */
  countryCode?: string;
  nationalPrefix?: string;
  /** International access prefix dialed by users ("00", "011"). */
  internationalPrefix?: string;
}

export type RouteDecision = { ok: true; rule: string; target: RouteTarget } | { ok: false; reason: 'no-match' | 'invalid' };

const DIALED = /^[+0-9A-Za-z*#._-]{1,64}$/;

/** Normalizes a dialed string to E.164 ("+CC…") when it looks like a phone number; else returns it unchanged. */
export function normalizeE164(dialed: string, o: Pick<DialPlanOptions, 'countryCode' | 'nationalPrefix' | 'internationalPrefix'>): string {
  const d = dialed.replace(/[\s().-]/g, '');
  if (!/^\+?[0-9]+$/.test(d)) return dialed;
  if (d.startsWith('+')) return d;
  if (o.internationalPrefix && d.startsWith(o.internationalPrefix)) return '+' + d.slice(o.internationalPrefix.length);
  if (o.countryCode && o.nationalPrefix && d.startsWith(o.nationalPrefix) && d.length > 6) return `+${o.countryCode}${d.slice(o.nationalPrefix.length)}`;
  return d;
}

export class DialPlan {
  private readonly compiled: Array<{ rule: DialRule; re: RegExp }>;

  constructor(private readonly opts: DialPlanOptions) {
    this.compiled = opts.rules.map((rule, i) => {
      try {
        return { rule, re: new RegExp(`^(?:${rule.match})$`) };
      } catch (err) {
        throw new SyntaxError(`dialplan.rules[${i}] (${rule.name}): match is not a valid regular expression: ${(err as Error).message}`);
      }
    });
  }

  /** Routes `dialed` for a caller of kind `from`. */
  route(dialed: string, from: 'user' | 'trunk'): RouteDecision {
    if (!DIALED.test(dialed)) return { ok: false, reason: 'invalid' };
    for (const { rule, re } of this.compiled) {
      if (!rule.from.includes(from)) continue;
      const candidate = 'trunk' in rule.to ? normalizeE164(dialed, this.opts) : dialed;
      if (!re.test(candidate) && !re.test(dialed)) continue;
      const subject = re.test(candidate) ? candidate : dialed;
      let number = subject.slice(rule.strip ?? 0);
      if (rule.prepend) number = rule.prepend + number;
      const to = rule.to;
      const target: RouteTarget = 'user' in to ? { kind: 'user', user: to.user.replace('$user', number) }
        : 'endpoint' in to ? { kind: 'endpoint', name: to.endpoint.replace('$user', number) }
        : 'trunk' in to ? { kind: 'trunk', trunk: to.trunk, number }
        : { kind: 'group', group: to.group.replace('$user', number) };
      return { ok: true, rule: rule.name, target };
    }
    return { ok: false, reason: 'no-match' };
  }
}
