package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// CheckNag applies cdk-nag's AwsSolutions rules to every stack of scope:
// an unsuppressed finding is an error or warning annotation, which fails
// `cdk synth` and `cdk deploy` (and the CDK tests). Every suppression is
// made with suppressNag, next to the resource, with its reason.
func CheckNag(scope constructs.IConstruct) {
	awscdk.Aspects_Of(scope).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true),
		// The compliance CSV reports are not read by anyone; the annotations are.
		Reports: jsii.Bool(false),
	}), nil)
}

// suppressNag accepts rule's finding on c's own resource (its default child
// for an L2 construct, never its other children) for reason; appliesTo
// narrows it to the named findings (e.g. one managed policy).
func suppressNag(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		list := make([]any, len(appliesTo))
		for i, a := range appliesTo {
			list[i] = a
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(false))
}
