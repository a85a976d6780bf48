package pinning

import "github.com/pyvet/pyvet/internal/policy"

// The unapproved-change check's rules and settings in pyvet.toml (read by
// ConfigFrom).
func init() {
	ids := make([]string, len(rules))
	for i, r := range rules {
		ids[i] = r.ID
	}
	policy.Register(policy.Spec{Name: CheckName, Rules: ids, Keys: []policy.Key{
		{Name: "skip-loose", Kind: policy.KindBool, Default: false, Doc: "do not report specifiers that allow several versions (libraries publish ranges on purpose)"},
		{Name: "disable", Kind: policy.KindStrings, Default: []string{}, Validate: policy.OneOf(ids...), Doc: "rule ids to turn off"},
		{Name: "dev-files", Kind: policy.KindStrings, Default: []string{}, Doc: "more development requirement files (globs on the base name; editable installs allowed there)"},
	}})
}
