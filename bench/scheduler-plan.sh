#!/usr/bin/env bash
# The scheduler's plan, measured with JMH, on clusters that cannot run here (10 hosts / 1,000
# jobs and 100 hosts / 10,000 jobs). Usage: bench/scheduler-plan.sh [extra JMH options]
# The figures go into docs/benchmarks.md ("Scheduler: the plan at 10,000 jobs").
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> building Grid's modules (the benchmark uses the scheduler's own jar)"
mvn -B -q install -DskipTests
echo "==> building the benchmark (JMH ${JMH_VERSION:-1.37} from Maven Central the first time)"
mvn -B -q -f bench/scheduler-jmh/pom.xml compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
echo "==> running it: about a minute per parameter and method"
exec java -cp "bench/scheduler-jmh/target/classes:$(cat bench/scheduler-jmh/target/classpath.txt)" org.openjdk.jmh.Main PlanBenchmark "$@"
