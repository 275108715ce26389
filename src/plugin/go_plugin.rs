//! go-plugin's companion services: the controller Terraform calls to shut the plugin down, and
//! the stdio stream it opens after connecting.

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::proto::plugin as pb;

/// Cancels `shutdown` when Terraform closes the provider; the server then exits promptly
/// (otherwise Terraform waits 2 s and kills the process).
pub struct Controller {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl pb::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<pb::Empty>) -> Result<Response<pb::Empty>, Status> {
        log::debug!("GRPCController.Shutdown received");
        self.shutdown.cancel();
        Ok(Response::new(pb::Empty {}))
    }
}

/// Keeps the stdio stream open and silent until shutdown; our logs reach Terraform through stderr.
pub struct Stdio {
    pub shutdown: CancellationToken,
}

type StdioStream = tonic::codegen::BoxStream<pb::StdioData>;

#[tonic::async_trait]
impl pb::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(&self, _: Request<()>) -> Result<Response<StdioStream>, Status> {
        use futures::StreamExt;
        let token = self.shutdown.clone();
        let s = futures::stream::once(async move { token.cancelled().await })
            .filter_map(|_| async { None::<Result<pb::StdioData, Status>> });
        Ok(Response::new(Box::pin(s)))
    }
}
