package sigstore

import (
	"encoding/asn1"
	"errors"
	"fmt"
)

// Object identifiers of the RFC 3161 / RFC 5652 structures checked here.
var (
	oidSignedData   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentTypeA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
)

// checkTimestampTokens checks what the RFC 3161 verifier sigstore-go uses
// leaves out: the timestamp token's CMS content must be a TSTInfo
// (eContentType id-ct-TSTInfo), and a signed content-type attribute, when
// present, must say the same (RFC 3161 section 2.4.2, RFC 5652 section 11.1).
func checkTimestampTokens(b *Bundle) error {
	for i, ts := range b.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps() {
		if err := CheckTimestampResponse(ts.GetSignedTimestamp()); err != nil {
			return &Failure{Kind: FailTimestamp, Reason: fmt.Sprintf("invalid signed timestamp %d", i+1), Err: err}
		}
	}
	return nil
}

// CheckTimestampResponse parses a DER TimeStampResp far enough to check that
// its token is CMS SignedData whose encapsulated content type is
// id-ct-TSTInfo, and that a signed content-type attribute agrees. It does not
// verify the signature (sigstore-go does).
func CheckTimestampResponse(der []byte) error {
	resp, err := element(der, asn1.TagSequence, "TimeStampResp", true)
	if err != nil {
		return err
	}
	in := resp.Bytes
	if _, in, err = next(in, asn1.TagSequence, "PKIStatusInfo"); err != nil {
		return err
	}
	tok, _, err := next(in, asn1.TagSequence, "TimeStampToken")
	if err != nil {
		return err
	}
	in = tok.Bytes
	var ct asn1.ObjectIdentifier
	if in, err = asn1.Unmarshal(in, &ct); err != nil {
		return fmt.Errorf("TimeStampToken content type: %w", err)
	}
	if !ct.Equal(oidSignedData) {
		return fmt.Errorf("TimeStampToken is CMS %s, not signedData", ct)
	}
	var wrap asn1.RawValue
	if _, err = asn1.Unmarshal(in, &wrap); err != nil || wrap.Class != asn1.ClassContextSpecific || wrap.Tag != 0 || !wrap.IsCompound {
		return errors.New("TimeStampToken has no [0] content")
	}
	sd, _, err := next(wrap.Bytes, asn1.TagSequence, "SignedData")
	if err != nil {
		return err
	}
	in = sd.Bytes
	var version int
	if in, err = asn1.Unmarshal(in, &version); err != nil {
		return fmt.Errorf("SignedData version: %w", err)
	}
	if _, in, err = next(in, asn1.TagSet, "SignedData digestAlgorithms"); err != nil {
		return err
	}
	eci, in, err := next(in, asn1.TagSequence, "EncapsulatedContentInfo")
	if err != nil {
		return err
	}
	var ect asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(eci.Bytes, &ect); err != nil {
		return fmt.Errorf("eContentType: %w", err)
	}
	if !ect.Equal(oidTSTInfo) {
		return fmt.Errorf("eContentType is %s, not id-ct-TSTInfo (%s)", ect, oidTSTInfo)
	}
	// Skip the optional certificates [0] and crls [1] up to signerInfos.
	for len(in) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(in, &v)
		if err != nil {
			return fmt.Errorf("SignedData: %w", err)
		}
		in = rest
		if v.Class == asn1.ClassUniversal && v.Tag == asn1.TagSet {
			return checkSignerInfos(v.Bytes)
		}
	}
	return errors.New("SignedData has no signerInfos")
}

// checkSignerInfos checks the content-type attribute of every SignerInfo
// that carries signed attributes.
func checkSignerInfos(in []byte) error {
	for len(in) > 0 {
		si, rest, err := next(in, asn1.TagSequence, "SignerInfo")
		if err != nil {
			return err
		}
		in = rest
		f := si.Bytes
		for len(f) > 0 {
			var v asn1.RawValue
			if f, err = asn1.Unmarshal(f, &v); err != nil {
				return fmt.Errorf("SignerInfo: %w", err)
			}
			// signedAttrs is [0] IMPLICIT SET OF Attribute; the sid's
			// subjectKeyIdentifier alternative is [0] too but primitive.
			if v.Class != asn1.ClassContextSpecific || v.Tag != 0 || !v.IsCompound {
				continue
			}
			if err := checkContentTypeAttr(v.Bytes); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

func checkContentTypeAttr(attrs []byte) error {
	for len(attrs) > 0 {
		a, rest, err := next(attrs, asn1.TagSequence, "signed attribute")
		if err != nil {
			return err
		}
		attrs = rest
		var oid asn1.ObjectIdentifier
		vals, err := asn1.Unmarshal(a.Bytes, &oid)
		if err != nil {
			return fmt.Errorf("signed attribute type: %w", err)
		}
		if !oid.Equal(oidContentTypeA) {
			continue
		}
		set, _, err := next(vals, asn1.TagSet, "content-type attribute values")
		if err != nil {
			return err
		}
		var ct asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(set.Bytes, &ct); err != nil {
			return fmt.Errorf("content-type attribute: %w", err)
		}
		if !ct.Equal(oidTSTInfo) {
			return fmt.Errorf("signed content-type attribute is %s, not id-ct-TSTInfo", ct)
		}
	}
	return nil
}

// element decodes one universal element with the given tag; whole requires
// that nothing follows it.
func element(der []byte, tag int, what string, whole bool) (asn1.RawValue, error) {
	v, rest, err := next(der, tag, what)
	if err == nil && whole && len(rest) > 0 {
		err = fmt.Errorf("%s: trailing data", what)
	}
	return v, err
}

// next decodes the first element of in, which must be a constructed
// universal element with the given tag, and returns it and what follows.
func next(in []byte, tag int, what string) (asn1.RawValue, []byte, error) {
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(in, &v)
	if err != nil {
		return v, nil, fmt.Errorf("%s: %w", what, err)
	}
	if v.Class != asn1.ClassUniversal || v.Tag != tag || !v.IsCompound {
		return v, nil, fmt.Errorf("%s: unexpected ASN.1 element (class %d, tag %d)", what, v.Class, v.Tag)
	}
	return v, rest, nil
}
