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
	order  []Risk // in the order of declaration
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
	if _, ok := risks.byName[ri.Risk]; !ok {
		risks.order = append(risks.order, ri.Risk)
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
// number in the order the check list declares them).
func RiskInfos() []RiskInfo {
	risks.RLock()
	out := make([]RiskInfo, 0, len(risks.order))
	for _, r := range risks.order {
		out = append(out, risks.byName[r])
	}
	risks.RUnlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].OWASP < out[j].OWASP })
	return out
}

// Risks returns every declared risk, in OWASP order.
func Risks() []Risk {
	var out []Risk
	for _, ri := range RiskInfos() {
		out = append(out, ri.Risk)
	}
	return out
}

// OWASPNumber returns the OWASP OSS risk number (1-10) of a declared risk,
// 0 for a risk no check declares.
func (r Risk) OWASPNumber() int {
	ri, _ := LookupRisk(r)
	return ri.OWASP
}

// Title returns the report title of a declared risk, or the risk's name.
func (r Risk) Title() string {
	if ri, ok := LookupRisk(r); ok {
		return ri.Title
	}
	return string(r)
}
