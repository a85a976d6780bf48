package finding

import (
	"fmt"
	"sort"
	"sync"
)

// RiskInfo describes a risk: the OWASP OSS risk it belongs to, the title
// reports show for it and one line for the policy documentation. The check
// that reports the risk declares it (its check.Info), and the check registry
// registers it here.
type RiskInfo struct {
	Risk  Risk
	OWASP int    // OWASP Top 10 Open Source Software Risks number, 1-10
	Title string // report title, e.g. "Known vulnerabilities"
	Doc   string // what `pyvet policy show` says the check covers
}

var risks struct {
	sync.RWMutex
	byName map[Risk]RiskInfo
}

// RegisterRisk declares a risk. Declaring the same risk twice with the same
// information is allowed (a registry built twice); with different
// information, an OWASP number out of range or an empty title it is a
// programming error and panics.
func RegisterRisk(ri RiskInfo) {
	if ri.Risk == "" || ri.OWASP < 1 || ri.OWASP > 10 || ri.Title == "" {
		panic(fmt.Sprintf("finding.RegisterRisk: incomplete declaration %+v", ri))
	}
	risks.Lock()
	defer risks.Unlock()
	if risks.byName == nil {
		risks.byName = map[Risk]RiskInfo{}
	}
	if cur, ok := risks.byName[ri.Risk]; ok && cur != ri {
		panic(fmt.Sprintf("finding.RegisterRisk: %s declared twice (%+v, %+v)", ri.Risk, cur, ri))
	}
	risks.byName[ri.Risk] = ri
}

// LookupRisk returns the declaration of a risk.
func LookupRisk(r Risk) (RiskInfo, bool) {
	risks.RLock()
	defer risks.RUnlock()
	ri, ok := risks.byName[r]
	return ri, ok
}

// RiskInfos returns every declared risk in OWASP order (risks of the same
// number by name).
func RiskInfos() []RiskInfo {
	risks.RLock()
	out := make([]RiskInfo, 0, len(risks.byName))
	for _, ri := range risks.byName {
		out = append(out, ri)
	}
	risks.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].OWASP != out[j].OWASP {
			return out[i].OWASP < out[j].OWASP
		}
		return out[i].Risk < out[j].Risk
	})
	return out
}

// Title returns the report title of a declared risk, or the risk's name.
func (r Risk) Title() string {
	if ri, ok := LookupRisk(r); ok {
		return ri.Title
	}
	return string(r)
}
