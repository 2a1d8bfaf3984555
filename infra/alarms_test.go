package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// alarmsByName returns the alarms' properties by name without the stage prefix.
func (r *synthResult) alarmsByName(stage string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, a := range r.resources("AWS::CloudWatch::Alarm") {
		p := props(a)
		out[strings.TrimPrefix(p["AlarmName"].(string), resources.PhysicalName(stage, ""))] = p
	}
	return out
}

// logicalIDOf returns the logical id of the one resource of typ whose
// property prop is value.
func (r *synthResult) logicalIDOf(t *testing.T, typ, prop, value string) string {
	t.Helper()
	for id, res := range r.resources(typ) {
		if props(res)[prop] == value {
			return id
		}
	}
	t.Fatalf("no %s with %s %s", typ, prop, value)
	return ""
}

func TestProdAlarmsMustNotifySomeone(t *testing.T) {
	// GIVEN a prod stack with neither an alarm topic nor an alarm email
	r := synthWith(t, "prod-silent", TargetLoaderStackProps{Stage: "prod"})
	// WHEN / THEN its synthesis has an error (cdk synth and deploy fail) saying what to set
	noPanic(t, "prod error", func() {
		r.annotations.HasError(jsii.String("/TargetLoader-prod"), assertions.Match_StringLikeRegexp(jsii.String("alarmEmail.*alarmTopicArn")))
	})
	// AND a dev stack without them only warns
	dev := synth(t, "dev")
	noPanic(t, "dev warning", func() {
		dev.annotations.HasWarning(jsii.String("/TargetLoader-dev"), assertions.Match_StringLikeRegexp(jsii.String("alarms notify nobody")))
	})
	noPanic(t, "dev errors", func() { dev.annotations.HasNoError(jsii.String("*"), assertions.Match_AnyValue()) })
	// AND a prod stack with an alarm email has no error
	noPanic(t, "prod errors", func() { synth(t, "prod").annotations.HasNoError(jsii.String("*"), assertions.Match_AnyValue()) })
}

func TestAlarmEmailGetsEveryAlarm(t *testing.T) {
	// GIVEN the prod stack deployed with alarmEmail
	r := synth(t, "prod")
	// WHEN looking at its topics and subscriptions
	noPanic(t, "email topic", func() {
		// THEN a topic of its own has the address subscribed
		r.tmpl.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(1))
		r.tmpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), &map[string]any{
			"Protocol": "email", "Endpoint": "ops@example.com",
		})
		// AND the topic refuses publishing without TLS
		r.tmpl.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), &map[string]any{
			"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}),
			})}),
		})
	})
	// AND every alarm notifies it on alarm and on recovery
	topic := r.logicalIDOf(t, "AWS::SNS::Topic", "TopicName", "targetloader-prod-alarms")
	for name, a := range r.alarmsByName("prod") {
		for _, k := range []string{"AlarmActions", "OKActions"} {
			if got := fmt.Sprint(a[k]); got != fmt.Sprintf("[map[Ref:%s]]", topic) {
				t.Errorf("%s %s: %s", name, k, got)
			}
		}
	}
	// AND with a topic ARN as well, every alarm notifies both
	for name, a := range variants(t)["all-on"].alarmsByName("dev") {
		if n := len(asList(a["AlarmActions"])); n != 2 {
			t.Errorf("all-on %s: %d alarm actions", name, n)
		}
	}
}

func TestEveryFunctionHasAnErrorsAlarm(t *testing.T) {
	// GIVEN the dev stack
	r := synth(t, "dev")
	alarms := r.alarmsByName("dev")
	for _, def := range resources.Functions {
		// WHEN looking for the errors alarm of each function of shared/resources
		a, ok := alarms[constructID("", def.Name)+"Errors"]
		if !ok {
			t.Errorf("no errors alarm for %s (alarms %v)", def.Name, keysOf(alarms))
			continue
		}
		// THEN it alarms on any error of that function in 5 minutes
		fn := r.logicalIDOf(t, "AWS::Lambda::Function", "FunctionName", resources.PhysicalName("dev", def.Name))
		if a["Namespace"] != "AWS/Lambda" || a["MetricName"] != "Errors" || a["Threshold"] != 0.0 || a["Period"] != 300.0 ||
			fmt.Sprint(a["Dimensions"]) != fmt.Sprintf("[map[Name:FunctionName Value:map[Ref:%s]]]", fn) {
			t.Errorf("%s errors alarm: %v", def.Name, a)
		}
	}
	// AND ingest's throttles (its reserved concurrency reached) alarm too
	ingest := r.logicalIDOf(t, "AWS::Lambda::Function", "FunctionName", resources.PhysicalName("dev", resources.IngestFunction.Name))
	if a := alarms["IngestThrottles"]; a["MetricName"] != "Throttles" || fmt.Sprint(a["Dimensions"]) != fmt.Sprintf("[map[Name:FunctionName Value:map[Ref:%s]]]", ingest) {
		t.Errorf("ingest throttles alarm: %v", a)
	}
}

func TestDLQMessagesAlarmWellBeforeTheyExpire(t *testing.T) {
	// GIVEN the dev stack
	r := synth(t, "dev")
	// WHEN looking at the DLQ's message age alarm
	a := r.alarmsByName("dev")["DlqMessageAge"]
	if a == nil {
		t.Fatal("no DlqMessageAge alarm")
	}
	// THEN it watches the DLQ's oldest message
	dlq := r.logicalIDOf(t, "AWS::SQS::Queue", "QueueName", resources.TargetsDLQ.Name("dev"))
	if a["Namespace"] != "AWS/SQS" || a["MetricName"] != "ApproximateAgeOfOldestMessage" || a["Statistic"] != "Maximum" ||
		fmt.Sprint(a["Dimensions"]) != fmt.Sprintf("[map[Name:QueueName Value:map[Fn::GetAtt:[%s QueueName]]]]", dlq) {
		t.Errorf("DlqMessageAge: %v", a)
	}
	// AND fires days before the DLQ's retention deletes the message
	retention := props(r.resources("AWS::SQS::Queue")[dlq])["MessageRetentionPeriod"].(float64)
	if th := a["Threshold"].(float64); th != DLQAgeAlarmDays*86400 || retention-th < 7*86400 {
		t.Errorf("alarm at %v s, retention %v s: want a week or more to redrive", th, retention)
	}
}
