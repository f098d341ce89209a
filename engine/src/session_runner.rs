//! The runner a session hands its actions to: its backend's, with the session's Hadoop
//! keys as they are when each job starts in the job's properties, so that executors read
//! and write with the keys this session set at run time (`SET spark.hadoop.…`), and no
//! other session's.

use crate::config::SparkConf;
use crate::ids::CacheId;
use crate::job_runner::{JobProperties, JobRunner, JobSelector};
use crate::progress::JobProgress;
use crate::storage::HadoopConf;
use datafusion::error::Result;
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};
use futures::future::BoxFuture;
use parking_lot::Mutex;
use std::sync::Arc;

/// A backend seen through one session: every job carries the session's `spark.hadoop.*`
/// keys ([`JobProperties::hadoop_conf`]); the rest goes to the backend as it is.
#[derive(Debug)]
pub struct SessionJobRunner {
    backend: Arc<dyn JobRunner>,
    conf: Arc<Mutex<SparkConf>>,
}

impl SessionJobRunner {
    /// `backend` for the session whose configuration is `conf`.
    pub fn new(backend: Arc<dyn JobRunner>, conf: Arc<Mutex<SparkConf>>) -> Self {
        Self { backend, conf }
    }
}

impl JobRunner for SessionJobRunner {
    fn execute_stream(&self, plan: Arc<dyn ExecutionPlan>, progress: Arc<JobProgress>) -> BoxFuture<'_, Result<SendableRecordBatchStream>> {
        let hadoop_conf = HadoopConf::from_spark(&self.conf.lock());
        let properties = JobProperties { hadoop_conf, ..JobProperties::current() };
        // Called inside the scope, so a backend that reads the properties at once sees them.
        Box::pin(properties.scope(async move { self.backend.execute_stream(plan, progress).await }))
    }

    fn keeps_cached_partitions(&self) -> bool {
        self.backend.keeps_cached_partitions()
    }

    fn release_cache(&self, cache: CacheId) -> BoxFuture<'_, Result<()>> {
        self.backend.release_cache(cache)
    }

    fn cancel_jobs(&self, selector: JobSelector, reason: String) -> BoxFuture<'_, usize> {
        self.backend.cancel_jobs(selector, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_plan::empty::EmptyExec;
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;

    /// A backend that records the properties of the jobs it is given.
    #[derive(Debug, Default)]
    struct Recording {
        seen: Mutex<Vec<JobProperties>>,
    }

    impl JobRunner for Recording {
        fn execute_stream(&self, plan: Arc<dyn ExecutionPlan>, _: Arc<JobProgress>) -> BoxFuture<'_, Result<SendableRecordBatchStream>> {
            self.seen.lock().push(JobProperties::current());
            let stream = RecordBatchStreamAdapter::new(plan.schema(), futures::stream::empty());
            Box::pin(async move { Ok(Box::pin(stream) as SendableRecordBatchStream) })
        }
    }

    #[tokio::test]
    async fn jobs_carry_the_session_keys_of_the_moment_and_keep_their_other_properties() -> Result<()> {
        let backend = Arc::new(Recording::default());
        let conf = Arc::new(Mutex::new(SparkConf::default()));
        conf.lock().set("spark.hadoop.fs.s3a.endpoint", "http://a:1").set("spark.sql.shuffle.partitions", "3");
        let runner = SessionJobRunner::new(backend.clone(), Arc::clone(&conf));
        let plan: Arc<dyn ExecutionPlan> = Arc::new(EmptyExec::new(Arc::new(arrow::datatypes::Schema::empty())));
        let tagged = JobProperties { tags: vec!["t".to_string()], ..Default::default() };
        tagged.scope(runner.run_job(Arc::clone(&plan), Arc::default())).await?;
        conf.lock().set("spark.hadoop.fs.s3a.endpoint", "http://b:2");
        runner.run_job(plan, Arc::default()).await?;
        let seen = backend.seen.lock().clone();
        let endpoint = |p: &JobProperties| p.hadoop_conf.get("fs.s3a.endpoint").map(|s| s.value);
        assert_eq!(seen.iter().map(endpoint).collect::<Vec<_>>(), [Some("http://a:1".to_string()), Some("http://b:2".to_string())]);
        assert_eq!(seen[0].tags, ["t"]);
        assert!(seen[1].tags.is_empty());
        assert!(seen[0].hadoop_conf.get("sql.shuffle.partitions").is_none());
        Ok(())
    }
}
