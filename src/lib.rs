pub mod proto {
    pub mod tfplugin5 {
        tonic::include_proto!("tfplugin5");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
