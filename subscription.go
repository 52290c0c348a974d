package dragnet

import (
	"net/url"
	"strings"
)

// Validate checks and normalises a subscription: a known kind; a key as the
// kind needs (a value as "kind:value", normalised; a threat-actor or
// intrusion-set id; a country code; none for cross-border and sighting);
// an absolute http(s) webhook URL with a secret of 16 to 256 bytes, or
// neither. Errors are EINVALID and name the field.
func (s *Subscription) Validate() error {
	s.Key = strings.TrimSpace(s.Key)
	switch s.Kind {
	case SubscribeValue:
		k, v, ok := strings.Cut(s.Key, ":")
		if !ok {
			return Errorf(EINVALID, "key: a value subscription needs kind:value (ipv4:198.51.100.7), not %q", s.Key)
		}
		nv, err := NormalizeValue(ValueKind(k), v)
		if err != nil {
			return Errorf(EINVALID, "key: %s", ErrorMessage(err))
		}
		s.Key = nv.String()
	case SubscribeActor:
		id := strings.ToLower(s.Key)
		typ, uuid, _ := strings.Cut(id, "--")
		if (typ != "threat-actor" && typ != "intrusion-set") || len(uuid) != 36 {
			return Errorf(EINVALID, "key: an actor subscription needs a threat-actor or intrusion-set id, not %q", s.Key)
		}
		s.Key = id
	case SubscribeCountry:
		cc := strings.ToUpper(s.Key)
		if !ValidCountry(cc) {
			return Errorf(EINVALID, "key: %q is not an ISO 3166-1 alpha-2 country code", s.Key)
		}
		s.Key = cc
	case SubscribeCrossBorder, SubscribeSighting:
		if s.Key != "" {
			return Errorf(EINVALID, "key: a %s subscription takes no key", s.Kind)
		}
	default:
		return Errorf(EINVALID, "kind %q is not one of value, actor, country, cross-border, sighting", s.Kind)
	}
	if s.WebhookURL == "" {
		if s.WebhookSecret != "" {
			return Errorf(EINVALID, "webhook_secret given without webhook_url")
		}
		return nil
	}
	u, err := url.Parse(s.WebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s.WebhookURL) > 2000 {
		return Errorf(EINVALID, "webhook_url %q is not an absolute http(s) URL", s.WebhookURL)
	}
	if n := len(s.WebhookSecret); n < 16 || n > 256 {
		return Errorf(EINVALID, "webhook_secret must be 16 to 256 bytes, got %d", n)
	}
	return nil
}

// SubscribingOrg returns the organisation p may change subscriptions for:
// its own, with a write or admin token. Stores call it first.
func SubscribingOrg(p Principal) (*Org, error) {
	if p.Org == nil {
		return nil, Errorf(EFORBIDDEN, "subscriptions belong to organisations")
	}
	if !p.Role.CanWrite() {
		return nil, Errorf(EFORBIDDEN, "a %s token may not change subscriptions", p.Role)
	}
	return p.Org, nil
}

// AuditDetail is what the audit log records of a subscription: its kind,
// key and webhook URL (never the secret).
func (s *Subscription) AuditDetail() string {
	d := s.Kind + " " + s.Key
	if s.WebhookURL != "" {
		d += " webhook " + s.WebhookURL
	}
	return d
}
